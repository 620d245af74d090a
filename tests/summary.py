#!/usr/bin/env python3
"""summary.py LOG.json... - count TAP test points across meson test logs; print 'N passed, N failed'.

A test point is one TAP 'ok'/'not ok' line (from bats --tap, cmocka with CMOCKA_MESSAGE_OUTPUT=TAP,
or our own TAP scripts). A test that failed without reporting any failing point (crash, timeout,
missing plan) counts as one failure, so that nothing can fail silently.
"""
import json
import re
import sys

TAP = re.compile(r'^(not ok|ok)\b(.*)$')
SKIP = re.compile(r'#\s*skip', re.IGNORECASE)

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print(f'summary: {path}: {e}', file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        test = json.loads(line)
        points = bad = 0
        for out in (test.get('stdout') or '').splitlines():
            m = TAP.match(out.strip())
            if not m:
                continue
            points += 1
            if SKIP.search(m.group(2)):
                skipped += 1
            elif m.group(1) == 'ok':
                passed += 1
            else:
                failed += 1
                bad += 1
                failures.append(f"{test['name']}: {out.strip()}")
        ok = test.get('result') in ('OK', 'EXPECTEDFAIL', 'SKIP')
        if not ok and bad == 0:
            failed += 1
            failures.append(f"{test['name']}: {test.get('result')} (exit {test.get('returncode')})")
        elif points == 0 and test.get('result') == 'OK':
            passed += 1

for f in failures:
    print(f'FAILED {f}')
line = f'{passed} passed, {failed} failed'
if skipped:
    line += f', {skipped} skipped'
print(line)
sys.exit(1 if failed else 0)
