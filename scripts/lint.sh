#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh ARCH...: the static checks on our files, in the assembled tree:
# checkpatch --strict on every patch of the series, kernel-doc, that
# each kernel-doc directive of our Documentation pages renders something
# (as Documentation/sphinx/kerneldoc.py would run kernel-doc), the
# kernel's Sphinx on the directories of our pages, and for each ARCH a
# W=1 build with sparse (C=2) of our objects, in the KUnit build
# directory that kunit.sh configured.  Prints each finding; exits
# non-zero if there is any.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$(tree_dir ours)
out=$build/lint
rm -rf "$out"
mkdir -p "$out"
fail=0

cd "$top" || exit 1
files=$(top_files 'kernel/*.c' 'arch/*.c' 'include/*.h' 'kernel/*.h' \
	'arch/*.h') && [ -n "$files" ] || die "no C files of ours to lint"
mapfile -t cfiles <<< "$files"

log "checkpatch --strict on the series"
# New files are covered by the existing F: kernel/dma/ entry of MAINTAINERS;
# the compatibles of the dma_coherent suite's test nodes are no bindings;
# the base tree has no upstream history to look cited commit ids up in.
# Debian's python3 first: checkpatch's SPDX check needs its python3-ply.
if ! (cd "$src" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict --quiet \
	--ignore FILE_PATH_CHANGES,UNDOCUMENTED_DT_STRING,UNKNOWN_COMMIT_ID "$top"/patches/6.12/0*-*.patch) > "$out/checkpatch.txt" 2>&1; then
	cat "$out/checkpatch.txt"
	fail=1
fi

log "kernel-doc on ${#cfiles[@]} files"
(cd "$src" && scripts/kernel-doc -none -Wall "${cfiles[@]}") \
	> "$out/kernel-doc.txt" 2>&1 || fail=1
if [ -s "$out/kernel-doc.txt" ]; then
	cat "$out/kernel-doc.txt"
	fail=1
fi

# kdoc_directives PAGE...: the kernel-doc directives of the pages, one a
# line: "PAGE:LINE<TAB>SOURCE[<TAB>OPTION=VALUE]...", each option's value
# (continuation lines included) on one line.
kdoc_directives() {
	awk '
	function flush(i, s) {
		if (source == "")
			return
		s = where "\t" source
		for (i = 1; i <= n; i++)
			s = s "\t" name[i] "=" value[i]
		print s
		source = ""
		n = 0
	}
	FNR == 1 { flush() }
	/^[ \t]*\.\. kernel-doc::/ {
		flush()
		where = FILENAME ":" FNR
		match($0, /^[ \t]*/)
		indent = RLENGTH
		source = $0
		sub(/^[ \t]*\.\. kernel-doc::[ \t]*/, "", source)
		sub(/[ \t]+$/, "", source)
		next
	}
	source != "" {
		# A blank or a less indented line ends the options.
		match($0, /^[ \t]*/)
		if (RLENGTH <= indent || RLENGTH == length($0)) {
			flush()
			next
		}
		s = substr($0, RLENGTH + 1)
		gsub(/\t/, " ", s)
		sub(/ +$/, "", s)
		if (match(s, /^:[A-Za-z-]+:/)) {
			n++
			name[n] = substr(s, 2, RLENGTH - 2)
			value[n] = substr(s, RLENGTH + 1)
			sub(/^ +/, "", value[n])
		} else if (n) {
			value[n] = value[n] " " s
		}
	}
	END { flush() }
	' "$@"
}

# kdoc_render ARG...: kernel-doc's reStructuredText for ARGs, run in the
# assembled tree as Documentation/sphinx/kerneldoc.py runs it (the Sphinx
# dialect does not change what is rendered); its stderr in $out/kdoc.err.
kdoc_render() {
	(cd "$src" && scripts/kernel-doc -rst -sphinx-version 3.4.3 "$@") \
		2> "$out/kdoc.err"
}

# kdoc_check_directives PAGE...: fails on each kernel-doc directive of
# the pages that renders nothing, and on each name of an :identifiers:
# list that renders nothing.  The options become kernel-doc arguments the
# way kerneldoc.py makes them.
kdoc_check_directives() {
	local d o where source mode pats p f rst items text bad=0
	local -a args ids noids pl
	local -A opt

	while IFS=$'\t' read -r -a d; do
		where=${d[0]} source=${d[1]}
		opt=() args=() ids=() noids=() pl=() pats="" mode=all
		for o in "${d[@]:2}"; do
			case ${o%%=*} in
			doc|export|internal|identifiers|no-identifiers|functions) ;;
			*) printf '%s: kernel-doc:: %s: unknown option :%s:\n' \
				"$where" "$source" "${o%%=*}"
			   bad=1 ;;
			esac
			opt[${o%%=*}]=${o#*=}
		done
		# Same order of precedence as kerneldoc.py.
		[[ -v opt[functions] ]] && opt[identifiers]=${opt[functions]}
		if [[ -v opt[export] ]]; then
			mode=export pats=${opt[export]}
			args+=(-export)
		elif [[ -v opt[internal] ]]; then
			mode=internal pats=${opt[internal]}
			args+=(-internal)
		elif [[ -v opt[doc] ]]; then
			mode=doc
			args+=(-function "${opt[doc]}")
		elif [[ -v opt[identifiers] ]]; then
			read -r -a ids <<< "${opt[identifiers]}"
			[ ${#ids[@]} -gt 0 ] && mode=identifiers
			for p in "${ids[@]}"; do args+=(-function "$p"); done
			[ ${#ids[@]} -eq 0 ] && args+=(-no-doc-sections)
		fi
		read -r -a noids <<< "${opt[no-identifiers]:-}"
		for p in "${noids[@]}"; do args+=(-nosymbol "$p"); done
		read -r -a pl <<< "$pats"
		for p in "${pl[@]}"; do
			while read -r f; do
				args+=(-export-file "$f")
			done < <(cd "$src" && compgen -G "$p")
		done

		where="$where: '.. kernel-doc:: $source"
		for o in "${d[@]:2}"; do where+=" :${o%%=*}: ${o#*=}"; done
		where="${where% }'"
		if ! rst=$(kdoc_render "${args[@]}" "$source"); then
			printf '%s: kernel-doc failed:\n' "$where"
			cat "$out/kdoc.err"
			bad=1
			continue
		fi
		# Documented items are C domain directives; a :doc: section (or
		# a DOC: section in a whole file) is text.
		items=$(grep -cE '^\.\. c:[a-z]+::' <<< "$rst")
		text=$(grep -c '[^[:space:]]' <<< "$rst")
		case $mode in
		export|internal) [ "$items" -gt 0 ] ;;
		*) [ "$text" -gt 0 ] ;;
		esac || {
			printf '%s: renders nothing\n' "$where"
			cat "$out/kdoc.err"
			bad=1
		}
		for p in "${ids[@]}"; do
			rst=$(kdoc_render -function "$p" "$source") || rst=
			grep -q '[^[:space:]]' <<< "$rst" || {
				printf '%s: %s renders nothing\n' "$where" "$p"
				bad=1
			}
		done
	done < <(kdoc_directives "$@")
	return $bad
}

files=$(top_files 'Documentation/*.rst') && [ -n "$files" ] ||
	die "no pages of ours to lint"
mapfile -t pages <<< "$files"
log "kernel-doc directives of ${#pages[@]} pages"
if [ ${#pages[@]} -gt 0 ]; then
	kdoc_check_directives "${pages[@]}" > "$out/kernel-doc-directives.txt" ||
		fail=1
	cat "$out/kernel-doc-directives.txt"
fi

# The kernel's Sphinx on the directory of our page: no warning may name
# one of our pages or source files.  Warnings elsewhere are upstream's.
mapfile -t docdirs < <(printf '%s\n' "${pages[@]}" | sed -n 's|^Documentation/\([^/]*\)/.*|\1|p' | sort -u)
if [ ${#docdirs[@]} -gt 0 ]; then
	log "htmldocs SPHINXDIRS=\"${docdirs[*]}\" with the kernel's Sphinx"
	if ! make -C "$src" O="$build/htmldocs" SPHINXDIRS="${docdirs[*]}" \
		htmldocs > "$out/htmldocs.txt" 2>&1; then
		tail -n 20 "$out/htmldocs.txt"
		fail=1
	fi
	if grep -iE 'warning|error' "$out/htmldocs.txt" |
		grep -F -f <(printf '%s\n' "${pages[@]}" "${cfiles[@]}") \
		> "$out/htmldocs-findings.txt"; then
		cat "$out/htmldocs-findings.txt"
		fail=1
	fi
fi

for arch in "$@"; do
	bdir=$(kernel_dir ours kunit "ours-$arch")
	[ -f "$bdir/.config" ] || die "no $arch build to lint in: run kunit.sh first"
	objs=()
	for f in "${cfiles[@]}"; do
		case $f in
		*.c) [ -f "$bdir/${f%.c}.o" ] && objs+=("${f%.c}.o") ;;
		esac
	done
	# No target would mean the whole kernel: refuse rather than build it.
	[ ${#objs[@]} -gt 0 ] || { log "no $arch objects of ours to lint"; fail=1; continue; }
	log "W=1 and sparse (C=2) on ${#objs[@]} $arch objects"
	# shellcheck disable=SC2046
	make -C "$src" O="$bdir" $(make_arch_args "$arch") \
		CC="$(kunit_cc "$arch")" W=1 C=2 "${objs[@]}" \
		> "$out/build-$arch.txt" 2>&1 || fail=1
	if grep -E '(warning|error):' "$out/build-$arch.txt" |
		grep -F -f <(printf '%s\n' "${cfiles[@]}") > "$out/findings-$arch.txt"; then
		cat "$out/findings-$arch.txt"
		fail=1
	fi
done

[ $fail -eq 0 ] && log "lint clean"
exit $fail
