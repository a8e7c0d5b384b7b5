# Shared set-up for the scripts in this folder: sourced, never run.
# Finds a JDK 25+, installs the Debian packages Presync needs when they are missing.

# The folder above this one, by string operations when the path is plain (scripts/presync sources this
# on every command, and a subshell is a process: tens of ms each on a loaded machine), else by cd.
_presync_dir=${BASH_SOURCE[0]%/*}
[ "$_presync_dir" != "${BASH_SOURCE[0]}" ] || _presync_dir=.
case $_presync_dir in /*) ;; *) _presync_dir=$PWD/$_presync_dir ;; esac
case $_presync_dir in
  */./*|*/.|*/../*|*/..|*//*) PRESYNC_ROOT=$(cd "$_presync_dir/.." && pwd) ;;
  ?*/scripts) PRESYNC_ROOT=${_presync_dir%/scripts} ;;
  *) PRESYNC_ROOT=$(cd "$_presync_dir/.." && pwd) ;;
esac
unset _presync_dir

die() { echo "presync: $*" >&2; exit 1; }

# Installs each named Debian package that is not installed yet (one apt-get call for all of them).
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "packages ${missing[*]} are missing; run this script as root or install them with apt-get."
  echo "presync: installing ${missing[*]}" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]} with apt-get; install them by hand and run again."
  fi
}

# Exports JAVA_HOME pointing at a JDK whose major version is 25 or more.
find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  local d
  for d in /usr/lib/jvm/*; do candidates+=("$d"); done
  for d in "${candidates[@]}"; do
    [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
    local v="" line
    # The JDK's release file names its version without starting a JVM, read with bash builtins only:
    # this runs on every command, and on a loaded machine each forked process costs tens of ms.
    if [ -r "$d/release" ]; then
      while IFS= read -r line; do
        case $line in JAVA_VERSION=*) v=${line#JAVA_VERSION=\"}; v=${v%%[!0-9]*}; break ;; esac
      done <"$d/release"
    fi
    [ -n "$v" ] || v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$d"
      export PATH="$JAVA_HOME/bin:$PATH"
      # Maven 3.8 (Debian) still calls sun.misc.Unsafe through guava: keep its warnings off our output.
      export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
      return 0
    fi
  done
  die "no JDK 25 or newer found in JAVA_HOME or /usr/lib/jvm; install one (for example Temurin 25) and set JAVA_HOME."
}

# Everything the build and the tests need on a Debian 12 machine.
ensure_build_deps() {
  ensure_packages maven gcc liburing2 liburing-dev util-linux e2fsprogs
  find_jdk
}

MVN() { mvn -B -q -Dstyle.color=never "$@"; }

# As variables too: scripts/presync uses these, where $(agent_jar) would fork a subshell on every command.
PRESYNC_JAR="$PRESYNC_ROOT/target/presync-0.1.0-SNAPSHOT-all.jar"
PRESYNC_AOT="$PRESYNC_ROOT/target/presync.aot"
agent_jar() { echo "$PRESYNC_JAR"; }

# Builds the agent jar (without running tests) when it is missing or older than the sources.
ensure_agent_jar() {
  local jar=$PRESYNC_JAR stale="" f
  if [ ! -f "$jar" ] || [ "$PRESYNC_ROOT/pom.xml" -nt "$jar" ]; then
    stale=1
  else
    # A glob and test builtins rather than find: no process is started when the jar is up to date.
    local globstar=-u nullglob=-u
    shopt -q globstar && globstar=-s
    shopt -q nullglob && nullglob=-s
    shopt -s globstar nullglob
    for f in "$PRESYNC_ROOT"/src/main/**; do
      if [ "$f" -nt "$jar" ]; then stale=1; break; fi
    done
    shopt "$globstar" globstar
    shopt "$nullglob" nullglob
  fi
  if [ -n "$stale" ]; then
    echo "presync: building the agent jar (the sources changed or it is missing)" >&2
    local log="$PRESYNC_ROOT/target/build.log"
    mkdir -p "$PRESYNC_ROOT/target"
    if ! (cd "$PRESYNC_ROOT" && MVN -DskipTests package) >"$log" 2>&1; then
      cat "$log" >&2
      die "the build failed; see the Maven output above (also in $log)."
    fi
  fi
}

# JVM flags every presync process runs with (the AOT cache is valid only for the same flags).
PRESYNC_JVM_FLAGS=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)

# The JIT policy of every command but `copy` (scripts/jit-directives.json): C2 compiles only the per-byte
# kernels (the block hash, CRC32C, the segment compare and fill); everything else stays C1-compiled. The
# per-chunk and per-event code (the job's loop, the partition's writes, the ring) is large once FFM is
# inlined, and C2 compiled it during the copy: on 2 cores the C2 thread took about one core for most of a
# replicate's bulk pass (LogCompilation: 2.0 s of C2 in a 3.5 s run, doWork and writeData compiled two and
# three times). With the directives the process used 0.8-0.9 CPU-s less user time per 3.5 GiB replicated
# (perf + /usr/bin/time, 8 GiB master, 9 runs). -XX:-DisplayVMOutput keeps the JVM's "N compiler directives
# added" line off stdout (it would corrupt --json output); JVM errors still reach stderr.
PRESYNC_JIT_FLAGS=(-XX:+UnlockDiagnosticVMOptions "-XX:CompilerDirectivesFile=$PRESYNC_ROOT/scripts/jit-directives.json"
  -XX:-DisplayVMOutput)

aot_cache() { echo "$PRESYNC_AOT"; }

# A JDK 25 AOT cache (JEP 483/514: classes loaded and linked, method profiles) cuts the start-up of a
# short-lived command, which is what separates presync from dd on a small copy and from qemu-img on a
# replication. Trained once per jar build in one JVM running, on loop devices over sparse files, a copy,
# a pool create, a replication (tap, plan, reservation, copy, final verify) and a verify
# (-Dpresync.aotTraining, see Main.train), so that every command's classes are in the one cache; without
# root, by parsing the command line. Best effort: without a cache presync runs the same, only slower to start.
# The retraining whenever the jar is newer than the cache is not only for speed: JDK 25 validated a cache trained
# on an older build of the same jar path and ran that build's archived classes instead of the new jar's
# (2026-11-26: an instrumented rebuild printed nothing until run without the cache).
ensure_aot_cache() {
  local jar=$PRESYNC_JAR cache=$PRESYNC_AOT
  [ -f "$cache" ] && [ "$cache" -nt "$jar" ] && return 0
  rm -f "$cache"
  local tmp loops=() l
  tmp=$(mktemp -d /tmp/presync-aot.XXXXXX)
  printf -- '--help\n' >"$tmp/train"
  if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null 2>&1; then
    truncate -s 64M "$tmp/a.img" "$tmp/b.img" "$tmp/c.img"
    # Some data in the master so that the replication copies, hashes and verifies.
    head -c 8M /dev/urandom | dd of="$tmp/a.img" bs=1M seek=4 conv=notrunc status=none 2>/dev/null || true
    for l in a b c; do
      l=$(losetup --find --show "$tmp/$l.img" 2>/dev/null) || break
      loops+=("$l")
    done
    if [ ${#loops[@]} -eq 3 ]; then
      local a=${loops[0]} b=${loops[1]} c=${loops[2]} t=$'\t'
      printf '%s\n' "copy${t}--from${t}$a${t}--to${t}$b" "pool${t}create${t}$c" \
        "replicate${t}--master${t}$a${t}--pool${t}$c${t}--partition${t}train${t}--until-synced${t}--log${t}$tmp/log${t}--json" \
        "verify${t}--master${t}$a${t}--pool${t}$c${t}--partition${t}train${t}--json" >"$tmp/train"
    fi
  fi
  # A stop (Ctrl-C, SIGTERM from a service manager) during the training must not leave the three loop devices
  # attached: bash runs the trap once the training JVM has ended, then exits as the signal asked.
  trap '_presync_aot_cleanup; exit 130' INT
  trap '_presync_aot_cleanup; exit 143' TERM
  echo "presync: training the start-up cache $(basename "$cache") (once per build)" >&2
  "$JAVA_HOME/bin/java" "${PRESYNC_JVM_FLAGS[@]}" -XX:AOTCacheOutput="$cache.tmp" -Xlog:aot=off -Xlog:cds=off \
    -Dpresync.aotTraining="$tmp/train" -jar "$jar" >/dev/null 2>&1 || true
  [ -f "$cache.tmp" ] && mv -f "$cache.tmp" "$cache"
  _presync_aot_cleanup
  trap - INT TERM
  return 0
}

# ensure_aot_cache's loop devices, folder and unfinished cache (its locals loops, tmp and cache, seen here through
# bash's dynamic scope).
_presync_aot_cleanup() {
  local l
  for l in "${loops[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do losetup -d "$l" 2>/dev/null && break; sleep 0.2; done
  done
  loops=()
  rm -rf "$tmp" "$cache.tmp"
}

# Sets PRESYNC_CMD to the java command line that runs the presync CLI from the jar, with the start-up
# cache when there is one (PRESYNC_NO_AOT=1 leaves it out; PRESYNC_JAVA_OPTS adds JVM options).
# Given the command's arguments, it adds flags that suit that subcommand: `copy` runs interpreted
# (-Xint): its Java work is start-up code that runs once and a small loop around io_uring that waits for
# the kernel most of the time, so JIT-compiling only takes CPU from the copy. With C1 alone
# (-XX:TieredStopAtLevel=1, the previous choice) the compiler thread still took a third of the process's
# CPU samples (perf, 1 GiB shm copy); -Xint used ~100 ms less CPU per 1 GiB copy and was faster whole
# process in four interleaved runs on the loaded 2-core machine, and not slower at 4 GiB. Commands that
# run for hours (replicate, verify) keep C2.
presync_command() {
  PRESYNC_CMD=("$JAVA_HOME/bin/java" "${PRESYNC_JVM_FLAGS[@]}")
  if [ -z "${PRESYNC_NO_AOT:-}" ] && [ -f "$PRESYNC_AOT" ]; then
    PRESYNC_CMD+=(-XX:AOTCache="$PRESYNC_AOT" -Xlog:aot=off -Xlog:cds=off)
  fi
  case "${1:-}" in
    copy) PRESYNC_CMD+=(-Xint) ;;
    *) PRESYNC_CMD+=("${PRESYNC_JIT_FLAGS[@]}") ;;
  esac
  # shellcheck disable=SC2206
  PRESYNC_CMD+=(${PRESYNC_JAVA_OPTS:-} -jar "$PRESYNC_JAR")
}
