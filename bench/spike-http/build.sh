#!/usr/bin/env bash
# Builds the four "hello" servers of the HTTP-library spike and the idle
# client. Not part of flowgate's build. Installs the libraries it needs.
set -euo pipefail
cd "$(dirname "$0")"
pkgs=(libuv1-dev node-llhttp libevent-dev libh2o-evloop-dev libmicrohttpd-dev wrk)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y "${missing[@]}"
fi
out=${OUT:-build}
mkdir -p "$out"
cflags=(-O2 -g -Wall -Wno-unused-parameter)
cc "${cflags[@]}" -I/usr/share/include/llhttp hello_uv_llhttp.c /usr/share/llhttp/{api,http,llhttp}.c \
   -o "$out/hello_uv_llhttp" $(pkg-config --cflags --libs libuv)
cc "${cflags[@]}" hello_evhttp.c -o "$out/hello_evhttp" $(pkg-config --cflags --libs libevent)
cc "${cflags[@]}" -DH2O_USE_LIBUV=0 -Wno-deprecated-declarations hello_h2o.c -o "$out/hello_h2o" \
   $(pkg-config --cflags --libs libh2o-evloop) -lssl -lcrypto
cc "${cflags[@]}" hello_mhd.c -o "$out/hello_mhd" $(pkg-config --cflags --libs libmicrohttpd)
cc "${cflags[@]}" idle_client.c -o "$out/idle_client"
echo "built in $out/"
