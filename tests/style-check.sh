#!/bin/sh
# style-check.sh SRCROOT - TAP: every C file is formatted as .clang-format says.
cd "$1" || exit 1
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 2>/dev/null || find src tests -name '*.[ch]')
n=0
for f in $files; do n=$((n + 1)); done
echo "1..$n"
i=0
for f in $files; do
  i=$((i + 1))
  if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "ok $i - $f"
  else
    echo "not ok $i - $f is not clang-formatted (run: clang-format -i $f)"
  fi
done
