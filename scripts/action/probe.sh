#!/usr/bin/env bash
# The action's probe step: postroj pkgprobe (mode: probe) or selftest, with both reports;
# then the reports as GitHub shows them: outputs, the job summary, ::error annotations.
# Exits with postroj's status (0 passed, 1 a probe failed, 16 the testbed failed).
# Env: the inputs (checked by inputs.sh), IMAGES from the inputs step.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/as-root.sh"
. "$here/lib.sh"

args=(--timeout "$TIMEOUT" --boot-timeout "$BOOT_TIMEOUT" --report-junit "$REPORT_JUNIT" --report-json "$REPORT_JSON" --no-color)
if [ "$MODE" = selftest ]; then
  args=(selftest --images "$IMAGES" --jobs "$JOBS" "${args[@]}")
  title="postroj selftest"
else
  args=(pkgprobe --image "$IMAGE" "${args[@]}")
  # Each multi-line input is a repeatable flag: one flag per line.
  while IFS= read -r v; do args+=(--package "$v"); done < <(lines "$PACKAGE")
  while IFS= read -r v; do args+=(--check-unit "$v"); done < <(lines "$CHECK_UNIT")
  while IFS= read -r v; do args+=(--check-network "$v"); done < <(lines "$CHECK_NETWORK")
  while IFS= read -r v; do args+=(--check-command "$v"); done < <(lines "$CHECK_COMMAND")
  while IFS= read -r v; do args+=(--expect-header "$v"); done < <(lines "$EXPECT_HEADER")
  [ -z "$EXPECT_STATUS" ] || args+=(--expect-status "$EXPECT_STATUS")
  [ -z "$EXPECT_BODY" ] || args+=(--expect-body "$EXPECT_BODY")
  [ "$FOLLOW_REDIRECTS" != true ] || args+=(--follow-redirects)
  title="postroj pkgprobe"
fi

# A report left by an earlier run must not be summarized as this one's.
rm -f "$REPORT_JSON" "$REPORT_JUNIT"
# postroj's output holds what the machine printed (evidence): a line of it starting with '::'
# must not become a workflow command, so GitHub's command processing is off meanwhile.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "::stop-commands::$token"
status=0
postroj "${args[@]}" || status=$?
echo "::$token::"
echo "exit-code=$status" >> "$GITHUB_OUTPUT"
# No JSON report: postroj stopped before probing (its one-line error is above).
if [ -f "$REPORT_JSON" ]; then
  {
    echo "report-junit=$REPORT_JUNIT"
    echo "report-json=$REPORT_JSON"
    postroj summary "$REPORT_JSON" --format outputs
  } >> "$GITHUB_OUTPUT"
  postroj summary "$REPORT_JSON" --title "$title" >> "$GITHUB_STEP_SUMMARY"
  postroj summary "$REPORT_JSON" --format annotations
fi
exit "$status"
