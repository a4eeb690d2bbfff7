# bash completion for viosim. Options come from `viosim COMMAND --help`, so
# they never drift from the binary.
_viosim()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]:-}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "run check sweep merge plot list --help --version" -- "$cur"))
        return
    fi
    case $cur in
    -*)
        local opts
        opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*=\{0,1\}' | sort -u)
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [ "${COMPREPLY[0]: -1}" = "=" ] && compopt -o nospace 2>/dev/null
        ;;
    *)
        case $cmd in
        merge | plot) COMPREPLY=($(compgen -d -- "$cur")) ;;
        sweep) COMPREPLY=($(compgen -f -X '!*.sweep.json' -- "$cur") $(compgen -d -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur")) ;;
        esac
        ;;
    esac
}
complete -F _viosim viosim
