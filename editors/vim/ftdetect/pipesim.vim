" Detect pipesim scenario files by their extension.
autocmd BufRead,BufNewFile *.pipesim setfiletype pipesim
