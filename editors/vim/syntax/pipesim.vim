" Vim syntax file
" Language:    pipesim scenario files (.pipesim)
" Maintainer:  the pipesim project
" Mirrors editors/vscode/syntaxes/pipesim.tmLanguage.json: comments, strings, numbers with
" units, declaration and step keywords, distributions, functions, operators and booleans.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syntax case match

" Imports.
syntax keyword pipesimImport import as

" Declarations: the keyword, then the declared name.
syntax match pipesimDeclaration /\<\(scenario\|resource\|dataset\|pipeline\|profile\|arrivals\|monitor\|experiment\)\>\(\s*=\)\@!/ nextgroup=pipesimDeclName skipwhite
syntax match pipesimDeclName contained /\<[A-Za-z_][A-Za-z0-9_]*\>/

" Steps: the kind, then an optional name.
syntax match pipesimStep /\<\(preprocess\|train\|validate\|compress\|task\)\>\(\s*=\)\@!/ nextgroup=pipesimStepName skipwhite
syntax match pipesimStepName contained /\<\(after\>\|when\>\)\@![A-Za-z_][A-Za-z0-9_]*\>/

" Nested blocks.
syntax match pipesimBlock /\<\(autoscale\|model\|row\)\>\(\s*{\)\@=/

" Attribute names: `name =` but not `==` or `=>`.
syntax match pipesimAttribute /\<[A-Za-z_][A-Za-z0-9_]*\>\(\s*=[=>]\@!\)\@=/

" Keywords.
syntax keyword pipesimConditional if then else match when
syntax keyword pipesimKeyword after choice sweep
syntax keyword pipesimTransfer from to
syntax keyword pipesimBoolean true false
syntax match pipesimConstant /\<\(pool\|link\|fifo\|sjf\|priority\|edf\|fair_share\)\>\(\s*=\)\@!/

" Distributions and functions, when called.
syntax match pipesimDistribution /\<\(exponential\|normal\|lognormal\|uniform\|triangular\|gamma\|erlang\|weibull\|exponweib\|bernoulli\|poisson\|empirical\)\>\(\s*(\)\@=/
syntax match pipesimFunction /\<\(min\|max\|round\|floor\|ceil\|abs\|clamp\|sqrt\|ln\)\>\(\s*(\)\@=/

" Numbers, then quantities (a number followed directly by a unit: 30s, 1.25GB/s, 120/h, 5%).
syntax match pipesimNumber /\<\d[0-9_]*\(\.\d[0-9_]*\)\=\([eE][+-]\=\d\+\)\=\>/
" A unit never starts with an exponent (`1e-3` and `1e3` are plain numbers).
syntax match pipesimQuantity /\<\d[0-9_]*\(\.\d[0-9_]*\)\=\([eE][+-]\=\d\+\)\=\(%\(\/\a\+\)\=\|\a\+\(\/\a\+\)\=\|\/\a\+\)[-+0-9]\@!/ contains=pipesimUnit
syntax match pipesimUnit contained /\(\d\)\@<=\(%\(\/\a\+\)\=\|\a\+\(\/\a\+\)\=\|\/\a\+\)[-+0-9]\@!/

" Operators.
syntax match pipesimOperator /=>\|==\|!=\|<=\|>=\|&&\|||\|[-+*/<>!|]/

" Comments (with TODO markers) and strings with \" and \\ escapes, defined last so that
" they win over the operators (`/`) and names that start at the same place.
syntax keyword pipesimTodo contained TODO FIXME XXX NOTE
syntax region pipesimLineComment start=+//+ end=+$+ contains=pipesimTodo,@Spell keepend
syntax region pipesimBlockComment start=+/\*+ end=+\*/+ contains=pipesimTodo,@Spell
syntax match pipesimEscape contained +\\[\\"]+
syntax region pipesimString start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=pipesimEscape oneline

highlight default link pipesimTodo Todo
highlight default link pipesimLineComment Comment
highlight default link pipesimBlockComment Comment
highlight default link pipesimString String
highlight default link pipesimEscape SpecialChar
highlight default link pipesimImport Include
highlight default link pipesimDeclaration Structure
highlight default link pipesimDeclName Type
highlight default link pipesimStep Statement
highlight default link pipesimStepName Function
highlight default link pipesimBlock Structure
highlight default link pipesimAttribute Identifier
highlight default link pipesimConditional Conditional
highlight default link pipesimKeyword Keyword
highlight default link pipesimTransfer Keyword
highlight default link pipesimBoolean Boolean
highlight default link pipesimConstant Constant
highlight default link pipesimDistribution Function
highlight default link pipesimFunction Function
highlight default link pipesimNumber Number
highlight default link pipesimQuantity Number
highlight default link pipesimUnit Type
highlight default link pipesimOperator Operator

let b:current_syntax = 'pipesim'

let &cpo = s:cpo_save
unlet s:cpo_save
