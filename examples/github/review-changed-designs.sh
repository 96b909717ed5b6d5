#!/usr/bin/env bash
# Review the design docs a pull request adds or changes and fail when the gate finds something: the step
# design-review.yml runs, and the same command line on a laptop:
#
#   GITHUB_BASE_REF=main examples/github/review-changed-designs.sh
#
# Settings (environment):
#   GITHUB_BASE_REF      the branch the pull request merges into (GitHub Actions sets it); compared as origin/<it>
#   DESIGN_DOCS          a git pathspec of the design docs (default ':(glob)docs/design/**/*.md')
#   CEILING_FAIL_ON      the checks that fail the job (default "infeasible over-budget"; "" reviews without a gate)
#   CEILING_JUNIT        the JUnit XML file, relative to the repository's root (default ceiling-junit.xml)
#   GITHUB_STEP_SUMMARY  the job summary the table is appended to (GitHub Actions sets it; unset: the table goes
#                        to stderr only)
# Exit code: ceiling review's (0 ok, 1 the gate failed, 2 bad input or an engine that cannot start); 2 also when
# the base branch is not there to compare with.
set -euo pipefail

cd "$(git rev-parse --show-toplevel)"  # git diff names files from the root
base="origin/${GITHUB_BASE_REF:?set GITHUB_BASE_REF to the branch the pull request merges into}"
pattern="${DESIGN_DOCS:-:(glob)docs/design/**/*.md}"
junit="${CEILING_JUNIT:-ceiling-junit.xml}"

if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    echo "error: $base is not a commit here (check out with fetch-depth: 0)" >&2
    exit 2
fi
# Added, copied, modified or renamed (a deleted design has nothing to review). Three dots: against the merge base,
# so what the base branch gained meanwhile is not the pull request's. NUL-separated: any file name survives.
mapfile -d '' designs < <(git diff -z --name-only --diff-filter=ACMR "$base...HEAD" -- "$pattern")
if [ "${#designs[@]}" -eq 0 ]; then
    echo "No design document changed (${pattern#:(glob)})." | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
    exit 0
fi

options=(--format junit --output "$junit")
for check in ${CEILING_FAIL_ON-infeasible over-budget}; do
    options+=(--fail-on "$check")
done
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    options+=(--summary "$GITHUB_STEP_SUMMARY")
fi
# `--`: a design whose name starts with a dash is still a file.
exec ceiling review "${options[@]}" -- "${designs[@]}"
