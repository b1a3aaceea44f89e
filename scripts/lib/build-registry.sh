# Sourced by the fixture builders (build-fixtures.sh, build-foreign-fixtures.sh): a throwaway
# docker-registry on 127.0.0.1 over $WORK/registry/storage, to push the fixture images into.
# Needs WORK, REGISTRY_PID (the caller's EXIT trap kills it) and die(); sets PORT.

start_registry() { # PORT -> sets REGISTRY_PID; fails if it does not come up
  cat >"$WORK/build-registry.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry/storage
http:
  addr: 127.0.0.1:$1
YML
  # --pdeathsig: if the builder is killed, the registry must not live on.
  # 9>&-: nor should it hold the build lock meanwhile.
  setpriv --pdeathsig KILL docker-registry serve "$WORK/build-registry.yml" >"$WORK/registry.log" 2>&1 9>&- &
  REGISTRY_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$1/v2/" 2>/dev/null; then return 0; fi
    kill -0 "$REGISTRY_PID" 2>/dev/null || break # died: most likely the port was taken
    sleep 0.1
  done
  kill "$REGISTRY_PID" 2>/dev/null || true
  wait "$REGISTRY_PID" 2>/dev/null || true
  REGISTRY_PID=
  return 1
}

# No tool here hands out a free port to bash, so pick unused-looking ports at
# random and retry if the registry could not bind.
start_build_registry() { # -> sets PORT
  mkdir -p "$WORK/registry/storage"
  PORT=
  local p
  for _ in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 30000))
    [[ -z $(ss -Hltn "sport = :$p") ]] || continue
    if start_registry "$p"; then PORT=$p; break; fi
  done
  [[ -n $PORT ]] || die "docker-registry did not start: $(tail -n 3 "$WORK/registry.log" 2>/dev/null)"
}
