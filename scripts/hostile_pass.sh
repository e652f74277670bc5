#!/bin/bash
# A hostile pass over the CLI (issue 13's classes, inputs other than the issue's): runs each
# input below in a fresh scratch directory and checks what holds for every input of every
# class: no signal or abort (exit 0 or 1), a failure is exactly one line on stderr naming
# the problem, no raw control character reaches stderr, no number reads inf or nan, no
# output file is left by a failure, a special file stays what it was, and the property
# the input was written for (EXPECT). Prints one line per violation and a tally; exits 1
# when anything was found. Touches nothing outside its scratch directory (no /dev).
#
# usage: scripts/hostile_pass.sh [PIPEWISE_BINARY]   (default: build/tools/pipewise)
set -u
binary=$(realpath "${1:-build/tools/pipewise}")
scratch_root=$(mktemp -d "${TMPDIR:-/tmp}/pipewise-hostile-XXXXXX")
trap 'rm -rf "$scratch_root"' EXIT
tries=0
found=0

# try CLASS EXPECT ARGUMENTS...: runs `pipewise ARGUMENTS` (through bash, in a fresh
# directory holding the fixtures). EXPECT: "refuse:TEXT" (exit 1, one line holding TEXT),
# "ok:TEXT" (exit 0, stdout holding TEXT), "ok" (exit 0).
try() {
  local class=$1 expect=$2
  shift 2
  tries=$((tries + 1))
  local dir="$scratch_root/$tries"
  mkdir -p "$dir" && cd "$dir" || exit 2
  make_fixtures
  local before
  before=$(listing)
  timeout 120 bash -c "P='$binary'; ulimit -c 0; $*" >out 2>err </dev/null
  local rc=$?
  local problems=()
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || problems+=("exit status $rc")
  if [ "$rc" -ne 0 ]; then
    [ "$(wc -l <err)" -eq 1 ] || problems+=("$(wc -l <err) lines on stderr")
    local after
    after=$(listing)
    [ "$before" = "$after" ] || problems+=("files changed: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')")
  fi
  LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' err && problems+=("a raw control character on stderr")
  LC_ALL=C grep -q $'[\x1b\r]' out && problems+=("a raw ESC or CR on stdout")
  grep -qiwE 'inf|nan|-nan' out && problems+=("inf or nan on stdout")
  [ -p fifo ] || problems+=("the FIFO was replaced")
  [ -L link ] || problems+=("the link was replaced")
  case $expect in
    refuse:*) [ "$rc" -eq 1 ] && grep -qF -- "${expect#refuse:}" err || problems+=("expected a refusal holding \"${expect#refuse:}\"") ;;
    ok:*) [ "$rc" -eq 0 ] && grep -qF -- "${expect#ok:}" out || problems+=("expected success printing \"${expect#ok:}\"") ;;
    ok) [ "$rc" -eq 0 ] || problems+=("expected success") ;;
  esac
  if [ ${#problems[@]} -gt 0 ]; then
    found=$((found + 1))
    echo "FOUND [$class] pipewise $*: ${problems[*]}; stderr: $(head -c 300 err | cat -v)"
  fi
  cd "$scratch_root" || exit 2
}

# The files of the scratch directory but the capture and the inputs a command writes for
# itself (x.*, c.json, l.csv and the like): what a failed command must not have changed.
listing() {
  ls -A | grep -vxE 'out|err|x\..*|c\.json|l\.csv|[abd]|l[12]|got' | sort
}

make_fixtures() {
  mkfifo fifo
  ln -s target.txt link
  "$binary" show -s 1f1b -p 2 -m 4 -f json >s.json
  "$binary" show -s 1f1b -p 2 -m 4 -f json --lowered >low.json
  "$binary" show -s pipedream -p 3 -m 4 -n 2 -f json >pd.json
}

# Crashes: values from files that size tables or wrap.
try crash refuse:"outside the problem" "sed '0,/\"microbatch\": 0/s//\"microbatch\": 4294967295/' s.json >x.json; \$P simulate --schedule-file x.json"
try crash refuse:"outside the problem" "sed '0,/\"stage\": 0/s//\"stage\": 65535/' s.json >x.json; \$P run --model 8,8,4 --steps 1 --schedule-file x.json"
try crash refuse:"invalid schedule" "sed 's/\"weight_version\": 0/\"weight_version\": 4294967294/' low.json >x.json; \$P simulate --schedule-file x.json"
try crash refuse:"invalid schedule" "printf '# pipewise p=1 v=1 m=1 n=1 placement=looped name=x\n0F0,0B0,0STEP,0STEP\n' >x.txt; \$P simulate --schedule-file x.txt"
try crash refuse:"could not start" "ulimit -s 16384; ulimit -v 3000000; \$P sweep -p 2..8 -m 4..16 --threads 1024"
# Special files: written through, followed, or refused; never replaced.
try special ok "\$P sweep -p 2 -m 4 -o fifo & cat fifo >got; wait; grep -q makespan got"
try special ok "\$P convert s.json fifo --to pytorch & cat fifo >got; wait; grep -q 0F0 got"
try special ok "\$P partition -p 2 --model bert-large -o link && test -f target.txt"
try special ok:"<?xml" "\$P sweep -p 2 -m 4 --svg - -o report.txt"
try special ok:"pipewise p=2" "\$P convert s.json /dev/stdout --to pytorch"
try special refuse:"hard links" "echo old >a; ln a b; \$P simulate -s 1f1b -p 2 -m 4 -o b"
try special refuse:"Is a directory" "mkdir d; \$P recommend --model bert-large -o d"
try special refuse:"Too many levels" "ln -s l2 l1; ln -s l1 l2; \$P show -s 1f1b -p 2 -m 2 -o l1"
# A failed run stops every worker, whatever it waits on.
try cancel refuse:"failed" "timeout 30 \$P run -s gpipe -p 3 -m 4 --model 64,64,64,10 --steps 1 --receive-deadline-ms 500 --inject-fault delay@2:2F0:3600000"
try cancel refuse:"injected failure" "timeout 30 \$P run -s 1f1b -p 2 -m 4 --model 64,64,64,10 --steps 1 --inject-fault throw@1:1F0 --inject-fault delay@0:0F2:3600000"
# Numbers: counts past 2^64, times past the largest double, derived values.
try number refuse:"too large" "\$P simulate -s 1f1b -p 2 -m 4 --layer-activation-bytes 1e18 --layers 1e3"
try number refuse:"too large" "\$P simulate -s 1f1b -p 2 -m 4 --working-set-factor 1e300 --recompute full --activation-bytes 1e6 --layers 4"
try number refuse:"too large" "\$P simulate -s pipedream -p 4 -m 8 --param-bytes 9e18"
try number refuse:"too large" "\$P simulate -s interleaved -p 2 -m 4 -v 2 --activation-bytes 9.3e18"
try number refuse:"all-reduce" "\$P simulate -s 1f1b -p 2 -m 4 --param-bytes 1e18 --data-parallel-size 4 --dp-bandwidth 1e-300"
try number refuse:"too large to simulate" "\$P simulate -s gpipe -p 2 -m 4 --cost-b 1e308"
try number refuse:"too large" "\$P sweep -p 2 -m 4 --num-layers 4 --layer-forward-ms 1 --layer-activation-bytes 1e19"
try number refuse:"default backward" "\$P sweep -p 2 -m 4 --num-layers 4 --layer-forward-ms 1e308"
try number refuse:"too large" "\$P partition -p 4 --num-layers 4 --layer-forward-ms 1 --layer-activation-bytes 1e19 --stashes 4"
try number refuse:"--stashes" "\$P partition -p 4 --model bert-large --stashes 1e20"
try number ok:"unreachable" "\$P recommend --model bert-large --target-bubble 1e-300"
try number ok:"e+297 ms" "\$P simulate -s 1f1b -p 2 -m 4 --latency-us 1e300"
try number ok:"e-" "\$P simulate -s 1f1b -p 2 -m 4 --optimizer-step-ms 1e300"
try number ok:"n/a" "\$P simulate -s gpipe -p 4 -m 8 --cost-f 0 --cost-b 0"
try number ok:"null" "\$P simulate -s interleaved -p 2 -m 4 -v 2 --cost-f 0 --cost-b 0 -f json"
try number refuse:"samples per second" "\$P simulate -s gpipe -p 2 -m 4 --micro-batch-size 1e307 --data-parallel-size 64"
try number refuse:"no point of the sweep" "\$P sweep -s interleaved -p 4 -m 2 -v 2,3"
# Invalid schedules: validated before they are simulated or run.
try invalid refuse:"invalid schedule" "printf '0F0,0B0\n1F0\n' >x.txt; \$P simulate --schedule-file x.txt"
try invalid refuse:"invalid schedule" "printf '# pipewise p=2 v=1 m=1 n=1 placement=looped name=x\n0F0,0SEND_F0,0RECV_B0,0B0,0STEP\n1F0,1B0,1SEND_B0,1STEP\n' >x.txt; \$P simulate --schedule-file x.txt"
try invalid ok:"no timeline: invalid schedule" "printf '# pipewise p=1 v=1 m=2 n=1 placement=looped name=x\n0F0,0B0,0STEP\n' >x.txt; \$P show --schedule-file x.txt"
try invalid ok:"step times" "\$P run --model 8,8,4 --steps 1 --warmup-steps 0 --profile-steps 0 --profile-repeats 1 --schedule-file low.json"
try invalid ok:"wrote" "\$P convert pd.json x.txt --pytorch-compatible 2>&1 | grep -q 'reads back as' && \$P convert pd.json x.txt --pytorch-compatible 2>/dev/null"
# Stray and duplicate input.
try stray refuse:"unexpected argument" "\$P partition -p 2 --model bert-large extra"
try stray refuse:"unexpected argument" "\$P show -s 1f1b -p 2 -m 2 json"
try stray refuse:"drop" "\$P run --schedule-file s.json -v 1 --model 8,8,4 --steps 1"
try duplicate refuse:"given twice" "echo '{\"schema\": \"pipewise.costs\", \"version\": 1, \"memory\": {\"optimizer\": \"sgd\", \"optimizer\": \"adam\"}}' >c.json; \$P simulate -s 1f1b -p 2 -m 4 --costs c.json"
try duplicate refuse:"twice" "printf 'name,count,forward_ms,count\na,1,1,2\n' >l.csv; \$P partition -p 1 --layers-file l.csv"
# Outputs: all or nothing; standard output checked; reads bounded.
try output refuse:"cannot write" "\$P sweep -p 2 -m 4 -o out.txt --svg no/dir/x.svg"
try output refuse:"cannot write standard output" "\$P partition -p 2 --model bert-large >&-"
try output refuse:"it holds more than" "yes >fifo 2>/dev/null & \$P simulate -s 1f1b -p 2 -m 4 --costs fifo; s=\$?; kill \$! 2>/dev/null; exit \$s"
try output refuse:"it holds more than" "yes >fifo 2>/dev/null & \$P partition -p 2 --layers-file fifo; s=\$?; kill \$! 2>/dev/null; exit \$s"
try output refuse:"needs" "ulimit -v 3000000; \$P simulate -s gpipe -p 512 -m 4096 --trace t.json"
try output refuse:"for the JSON" "ulimit -v 1500000; \$P show -s 1f1b -p 1024 -m 4096 -f json -o big.json"
try output refuse:"both write standard output" "\$P simulate -s 1f1b -p 2 -m 4 --trace t.json --svg -"
# Messages: escaped, naming the file once.
try message refuse:'\x1b' "\$P simulate -s \$'1f1b\\e[2J' -p 2 -m 4"
try message refuse:"cannot read" "\$P partition -p 2 --model \$'no\\rfile.json'"
try message ok:"wrote" "\$P convert s.json \$'x\\e[2J.txt'"
try message ok:"costs from" "echo '{\"schema\": \"pipewise.costs\", \"version\": 1}' >\$'x\\e.json'; \$P sweep -p 2 -m 4 --costs \$'x\\e.json'"
try message ok:"wrote" "\$P partition -p 2 --model bert-large --write-costs \$'x\\e.json'"
try message ok "echo '{\"layers\": [{\"forward_ms\": 1}]}' >\$'x\\e.json'; \$P recommend --model \$'x\\e.json'"
# The schedule search (pipewise search): sizes no machine holds, caps, files.
try crash refuse:"needs" "\$P search -p 65536 -m 2147483647"
try crash refuse:"needs" "\$P search -p 1024 -m 1000000 -v 1,2"
try number refuse:"--memory-cap" "\$P search -p 4 -m 8 --activation-bytes 1e6 --memory-cap nan"
try number refuse:"--memory-cap" "\$P search -p 4 -m 8 --activation-bytes 1e6 --memory-cap 1e400"
try special refuse:"no schedule fits" "\$P search -p 4 -m 8 --activation-bytes 1e6 --memory-cap 1e-9 --write-schedule b.json"
try crash refuse:"one split of the model" "echo '{\"stages\": [{\"stage\": 1, \"forward\": 2}]}' >c.json; \$P search -p 3 -m 5 -v 1,2,3 --costs c.json"
try crash ok:"best:" "echo '{\"stages\": [{\"stage\": 1, \"forward\": 2}]}' >c.json; \$P search -p 3 -m 5 --costs c.json"

# recommend --costs: a profile's search that would run for minutes, numbers, escaped paths.
profile_tiny="\$P profile -s 1f1b -p 2 -m 2 --model 8,8,4 --microbatch-size 4 --steps 1 --warmup-steps 1 --profile-steps 1 --profile-repeats 1"
try crash refuse:"narrow it" "$profile_tiny -o c.json >/dev/null && \$P recommend --costs c.json --devices 1 --global-batch-size 134217728"
try number refuse:"--memory-cap" "$profile_tiny -o c.json >/dev/null && \$P recommend --costs c.json --devices 2 --global-batch-size 8 --memory-cap 1e400"
try message ok:"measure the best one" "$profile_tiny -o \$'x\\e.json' >/dev/null && \$P recommend --costs \$'x\\e.json' --devices 2 --global-batch-size 8"
try output refuse:"no configuration fits" "$profile_tiny -o c.json >/dev/null && \$P recommend --costs c.json --devices 2 --global-batch-size 8 --memory-cap 1e-9 -o a"

# Context parallelism: what Megatron-LM cannot run, and sizes no device count holds.
try invalid refuse:"needs flash attention" "\$P recommend --context-parallel-size 2"
try invalid refuse:"not a multiple of 2·cp" "\$P recommend --model llama3-8b --context-parallel-size 5"
try number refuse:"is invalid" "\$P recommend --model llama3-8b --context-parallel-size 1e3"
try invalid refuse:"does not divide the 8 devices" "\$P partition -p 2 --model llama3-8b --context-parallel-size 16"
try crash refuse:"no configuration fits" "\$P recommend --model llama3-8b --context-parallel-size 8 --memory-cap 1 -o a"
try invalid refuse:"does not divide" "echo '{\"transformer\": {\"layers\": 2, \"hidden\": 8, \"sequence\": 16, \"heads\": 2, \"flash_attention\": true}, \"device\": {\"count\": 6}, \"parallelism\": {\"context\": 4}}' >x.json; \$P recommend --model x.json"
try invalid refuse:"block:N takes a whole number" "\$P recommend --model llama3-8b --recompute block:0"
try number refuse:"block:N takes a whole number" "\$P sweep --model llama3-8b -p 2 -m 8 --recompute block:99999999999"
try invalid refuse:"depends on the split" "\$P partition -p 2 --model llama3-8b --recompute block"

echo "hostile pass: $tries inputs, $found found"
[ "$found" -eq 0 ]
