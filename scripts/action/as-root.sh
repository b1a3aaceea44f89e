# Sourced first by every action script. GitHub's runner user is not root and racker needs
# root: re-run this script under sudo, keeping the environment (the action's inputs arrive
# as environment variables) and PATH (Node from actions/setup-node is not on sudo's PATH).
if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E env "PATH=$PATH" bash "$0" "$@"
fi
