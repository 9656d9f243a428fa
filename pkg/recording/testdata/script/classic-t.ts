Script started on 2026-11-22 07:45:56+00:00 [COMMAND="printf "one\ntwo\n"; sleep 0.05; printf "th\303\251\033[1mree\033[m"" <not executed on terminal>]
one
two
thé[1mree[m
Script done on 2026-11-22 07:45:56+00:00 [COMMAND_EXIT_CODE="0"]
