" Checks the syntax groups that syntax/pipesim.vim gives to pieces of pipesim text; run by
" test.sh. Each check is a line of text and pairs of (a piece of it, the expected group).
let s:root = fnamemodify(expand("<sfile>:p"), ":h:h")
execute "set rtp^=" . fnameescape(s:root)
filetype on
syntax on
let s:checks = [
\ ['resource gpu { kind = pool  capacity = 8  policy = priority }', ['resource', 'pipesimDeclaration'], ['gpu', 'pipesimDeclName'], ['pool', 'pipesimConstant'], ['capacity', 'pipesimAttribute'], ['priority', 'pipesimConstant']],
\ ['  priority = 1  c = 1e-3  t = 30s  bw = 1.25GB/s', ['priority', 'pipesimAttribute'], ['1e-3', 'pipesimNumber'], ['30', 'pipesimQuantity'], ['s  bw', 'pipesimUnit'], ['GB/s', 'pipesimUnit']],
\ ['  train boosted after preprocess {', ['train', 'pipesimStep'], ['boosted', 'pipesimStepName'], ['after', 'pipesimKeyword']],
\ ['  profile = aiops.weekly  // note', ['profile', 'pipesimAttribute'], ['// note', 'pipesimLineComment']],
\ ['  d = lognormal(median = 25min, sigma = 0.9) + max(1, 2)', ['lognormal', 'pipesimDistribution'], ['max', 'pipesimFunction'], ['+', 'pipesimOperator'], ['min,', 'pipesimUnit']],
\ ['  x = "a \"b\" c" drain = true', ['"a', 'pipesimString'], ['\"', 'pipesimEscape'], ['true', 'pipesimBoolean']],
\ ['  on = match f { a | b => gpu, _ => cpu }', ['match', 'pipesimConditional'], ['=>', 'pipesimOperator']],
\ ['  row { gpus = row.num_gpus }', ['row', 'pipesimBlock'], ['gpus', 'pipesimAttribute']],
\ ]
let s:failures = []
for s:check in s:checks
  enew!
  setfiletype pipesim
  call setline(1, s:check[0])
  syntax sync fromstart
  for [s:text, s:group] in s:check[1:]
    let s:col = stridx(s:check[0], s:text) + 1
    let s:name = synIDattr(synID(1, s:col, 1), 'name')
    if s:name !=# s:group
      call add(s:failures, printf('%s: `%s` at %d is %s, expected %s', s:check[0], s:text, s:col, s:name, s:group))
    endif
  endfor
endfor
call writefile(empty(s:failures) ? ['ok'] : s:failures, $PIPESIM_VIM_TEST_OUT)
qa!
