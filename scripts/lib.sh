# Shared set-up for the scripts in this folder: sourced, never run.
# Finds a JDK 25+, installs the Debian packages Presync needs when they are missing.

PRESYNC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

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
    local v
    v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
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

agent_jar() { echo "$PRESYNC_ROOT/target/presync-0.1.0-SNAPSHOT-all.jar"; }

# Builds the agent jar (without running tests) when it is missing or older than the sources.
ensure_agent_jar() {
  local jar
  jar=$(agent_jar)
  if [ ! -f "$jar" ] || [ -n "$(find "$PRESYNC_ROOT/src/main" "$PRESYNC_ROOT/pom.xml" -newer "$jar" -print -quit)" ]; then
    (cd "$PRESYNC_ROOT" && MVN -DskipTests package) >&2 || die "the build failed; see the Maven output above."
  fi
}
