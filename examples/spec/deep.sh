# Prints a tree nested $1 parentheses deep: (((...(A)...)));
n=$1
printf '%*s' "$n" '' | tr ' ' '('
printf 'A'
printf '%*s' "$n" '' | tr ' ' ')'
printf ';\n'
