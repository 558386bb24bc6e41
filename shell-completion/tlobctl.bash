# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bash completion of tlobctl(1): commands, options, unit names (from
# systemctl) for "add", budget ids (from "tlobctl list --no-legend") for
# "remove", "status" and "snapshot". Installed as
# $(pkg-config --variable=completionsdir bash-completion)/tlobctl.

# Budget ids, from the manager of the host given with -H, if any.
__tlobctl_ids() {
	tlobctl "$@" --no-pager --no-legend --no-ask-password list 2>/dev/null |
		awk '{ print $1 }'
}

# Units that can run code: services (templates too), sockets, scopes;
# loaded ones and unit files.
__tlobctl_units() {
	{
		systemctl "$@" list-units --all --full --plain --no-legend --no-pager \
			--type=service,socket,scope 2>/dev/null
		systemctl "$@" list-unit-files --full --no-legend --no-pager \
			--type=service,socket,scope 2>/dev/null
	} | awk '{ print $1 }' | sort -u
}

_tlobctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs='add remove list status watch reload snapshot'
	local opts='--help --version --json= --no-pager --no-legend --quiet
		    --no-ask-password --host= --runtime --description= --cause=
		    --action= --list'
	local i w verb='' nargs=0 host=() candidates=''

	# Options with a separate argument, and --opt=value split at '='
	# (COMP_WORDBREAKS holds '=').
	if [ "$prev" = '=' ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [ "$cur" = '=' ]; then
		cur=''
	else
		case "$prev" in
		--json | --host | -H | --description | --cause | --action) ;;
		*) prev='' ;;
		esac
	fi
	case "$prev" in
	--json)
		mapfile -t COMPREPLY < <(compgen -W 'short pretty off' -- "$cur")
		return 0 ;;
	--host | -H)
		if declare -F _known_hosts_real >/dev/null; then
			_known_hosts_real -- "$cur"
		fi
		return 0 ;;
	--description)
		return 0 ;;
	--cause)
		mapfile -t COMPREPLY < <(compgen -W 'yes no' -- "$cur")
		return 0 ;;
	--action)
		mapfile -t COMPREPLY < <(compgen -W 'log signal=SIGABRT signal=SIGQUIT
			restart restart= stop stop= snapshot' -- "$cur")
		return 0 ;;
	esac

	# The command and how many of its arguments come before this word.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case "$w" in
		-H | --host)
			host=(-H "${COMP_WORDS[i + 1]}")
			i=$((i + 1)) ;;
		--host=*) host=(-H "${w#--host=}") ;;
		--json | --description | --cause | --action)
			i=$((i + 1)) ;;
		=) i=$((i + 1)) ;;
		-*) ;;
		*)
			if [ "${COMP_WORDS[i - 1]}" = '=' ]; then
				continue
			elif [ -z "$verb" ]; then
				verb=$w
			else
				nargs=$((nargs + 1))
			fi ;;
		esac
	done
	# --host=HOST split at '='
	for ((i = 1; i + 2 < COMP_CWORD; i++)); do
		if [ "${COMP_WORDS[i]}" = --host ] && [ "${COMP_WORDS[i + 1]}" = '=' ]; then
			host=(-H "${COMP_WORDS[i + 2]}")
		fi
	done

	if [[ "$cur" == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		# no space after an option that takes "=VALUE"
		if [[ "${COMPREPLY[*]}" == *= ]] && declare -F compopt >/dev/null; then
			compopt -o nospace
		fi
		return 0
	fi

	case "$verb" in
	'') candidates=$verbs ;;
	add) [ "$nargs" = 0 ] && candidates=$(__tlobctl_units "${host[@]}") ;;
	remove | status | snapshot) [ "$nargs" = 0 ] && candidates=$(__tlobctl_ids "${host[@]}") ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
	return 0
}

complete -F _tlobctl tlobctl
