# Bash completion for p2pshare, from the program itself (System.CommandLine's [suggest] directive), so it always
# matches the installed version. Install: source this file from ~/.bashrc, or copy it to
# /usr/share/bash-completion/completions/p2pshare.
_p2pshare_complete()
{
    local line="${COMP_LINE}" point="${COMP_POINT}"
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${point}]" "${line}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
    # Nothing suggested (a file argument): complete file names.
    if [ ${#COMPREPLY[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
    fi
}
complete -o filenames -F _p2pshare_complete p2pshare
