# Sourced by ./jvisor and ./run-tests: sets JAVA_HOME to a JDK 25 or newer, or exits with a message
# saying what to install. Order: $JAVA_HOME if it is new enough, then the system's JVM directory.

jvisor_java_major() { # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release"
  if [ -r "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel" | head -n 1
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

jvisor_find_jdk() {
  local need=25 cand major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(jvisor_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then
      return 0
    fi
  fi
  for cand in /usr/lib/jvm/*/ /opt/java/*/ /usr/local/lib/jvm/*/; do
    cand=${cand%/}
    [ -x "$cand/bin/javac" ] || continue
    major=$(jvisor_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then
      export JAVA_HOME="$cand"
      return 0
    fi
  done
  echo "jvisor: no JDK $need or newer found (looked at \$JAVA_HOME and /usr/lib/jvm)." >&2
  echo "jvisor: install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium repository) or" >&2
  echo "jvisor: unpack a JDK 25 and set JAVA_HOME to it." >&2
  exit 1
}

jvisor_find_jdk
export PATH="$JAVA_HOME/bin:$PATH"
