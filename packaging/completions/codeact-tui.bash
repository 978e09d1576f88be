# bash completion for codeact-tui: subcommands, the app's options, and folders for PATH.
# Install: source it from ~/.bashrc, or copy it to /usr/share/bash-completion/completions/codeact-tui
_codeact_tui() {
    local cur prev words cword
    _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; cword=$COMP_CWORD; }
    local commands="app bench diff doctor exec history map models pull redo restore run undo"
    local app_options="--model --backend --host --approve --continue --resume --theme --help --version"
    case "$prev" in
        --backend) COMPREPLY=($(compgen -W "ollama openai embedded" -- "$cur")); return ;;
        --approve) COMPREPLY=($(compgen -W "auto ask plan" -- "$cur")); return ;;
        --theme) COMPREPLY=($(compgen -W "codeact-dark codeact-light" -- "$cur")); return ;;
        --path) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    esac
    if [[ $cword -eq 1 ]]; then
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "$app_options" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur") $(compgen -d -- "$cur"))
        fi
    elif [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$app_options --path --json" -- "$cur"))
    else
        COMPREPLY=($(compgen -d -- "$cur"))
    fi
}
complete -F _codeact_tui codeact-tui
