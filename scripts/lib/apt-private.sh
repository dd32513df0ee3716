# Sourced by the install and bundle scripts: fetch Debian packages of another suite or architecture
# (trixie's ONNX Runtime headers and qemu-user, bullseye's libraries for a glibc-2.31 sysroot)
# through a private apt list, without touching the machine's own apt configuration.
#
# The mirror is the one the machine's apt sources already use for Debian's main archive (deb822
# *.sources files or one-line sources.list entries), so users behind a local or national mirror
# get theirs; nothing here names a mirror host.

# Prints the URI of the machine's Debian archive mirror, or fails with one line.
debian_mirror() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanza: "URIs: <uri>" with "Suites:" naming a Debian release (not -security).
    uri=$(awk '
      BEGIN { RS=""; FS="\n" }
      {
        u=""; s=""; t=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); u=$i }
          if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", $i); s=$i }
          if ($i ~ /^Types:/)  { t=$i }
        }
        if (t ~ /deb([ \t]|$)/ && u != "" && s ~ /(bookworm|bullseye|trixie|stable)([ \t]|$)/ && s !~ /security/) {
          split(u, a, /[ \t]+/); print a[1]; exit
        }
      }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      uri=$(awk '$1 == "deb" {
          i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i+1) ~ /^(bookworm|bullseye|trixie|stable)$/) { print $i; exit }
        }' "$f")
      [ -n "$uri" ] && break
    done
  fi
  if [ -z "$uri" ]; then
    echo "apt-private: no Debian archive mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/ (add your mirror for bookworm main)" >&2
    return 1
  fi
  echo "${uri%/}"
}

# apt_private_download DIR SUITE ARCH PACKAGE... : downloads the .deb files into DIR/debs
# (DIR/lists keeps the private package lists, refreshed once per DIR and suite/arch).
apt_private_download() {
  local dir suite=$2 arch=$3
  # apt resolves relative Dir:: paths against its own directories (/etc/apt, /var/lib/apt).
  dir=$(realpath -m "$1")
  shift 3
  local mirror
  mirror=$(debian_mirror) || return 1
  mkdir -p "$dir/lists/partial" "$dir/debs"
  local list="$dir/sources-$suite-$arch.list"
  echo "deb [arch=$arch] $mirror $suite main" >"$list"
  local opts=(-o "Dir::Etc::sourcelist=$list" -o "Dir::Etc::sourceparts=-"
              -o "Dir::State::Lists=$dir/lists-$suite-$arch" -o "Dir::State::status=/dev/null"
              -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
              -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
              -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  mkdir -p "$dir/lists-$suite-$arch/partial"
  if [ ! -f "$dir/lists-$suite-$arch/.updated" ]; then
    apt-get "${opts[@]}" -qq update ||
      { echo "apt-private: apt-get update of $suite/$arch from $mirror failed" >&2; return 1; }
    touch "$dir/lists-$suite-$arch/.updated"
  fi
  (cd "$dir/debs" && apt-get "${opts[@]}" -qq download "$@") ||
    { echo "apt-private: could not download $* from $suite/$arch" >&2; return 1; }
}
