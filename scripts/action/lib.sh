# Shared by the action scripts (sourced).

# One line on stdout as a GitHub error annotation, then exit 1: bad input says what, once.
# '%' is escaped as GitHub reads it (%25), so an input holding "%0A" is shown, not decoded.
fail() {
  local message=${1//%/%25}
  echo "::error::${message//$'\r'/}"
  exit 1
}

# An environment variable's input name, for messages: CHECK_NETWORK → check-network.
input_name() {
  echo "$1" | tr 'A-Z_' 'a-z-'
}

# A value shown in a one-line message: its newlines as spaces.
oneline() {
  printf '%s' "$1" | tr '\n' ' '
}

# A multi-line input's entries, one per line: surrounding blanks trimmed, empty lines dropped.
lines() {
  printf '%s\n' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$' || true
}

# A list input separated by commas, blanks or newlines, as words.
list() {
  printf '%s' "$1" | tr ',\n\t' '   '
}
