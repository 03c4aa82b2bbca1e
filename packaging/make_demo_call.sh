#!/usr/bin/env bash
# Rebuilds resources/demo-call.wav: a short two-party support call for the simulator's demo mode.
# The agent speaks with a female en-us voice, the customer with a male en-gb voice at a lower
# pitch; turns are separated by natural pauses (0.4-0.9 s) and the file opens with a little
# line noise so the noise gate has something to do. Output: 8 kHz mono 16-bit PCM, < 1 MB.
# Needs: espeak-ng, sox.  Usage: packaging/make_demo_call.sh [out.wav]
set -euo pipefail

out="${1:-$(dirname "$0")/../resources/demo-call.wav}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

agent=(-v en-us+f3 -p 55 -s 185)
customer=(-v en-gb+m3 -p 35 -s 175)

# speaker|pause-after-seconds|text
turns=(
  "agent|0.6|Thank you for calling Northwind support, this is Dana. How can I help you today?"
  "customer|0.5|Hi Dana. My internet has been dropping out every few minutes since this morning."
  "agent|0.8|I'm sorry to hear that. Could you read me the account number on your last bill?"
  "customer|0.9|Sure, it's four seven one, two nine, eight eight three."
  "agent|0.7|Thanks. I can see a line fault in your area. Let me reset your connection from here."
  "agent|0.9|Done. The lights on your router should blink for a moment and then turn green."
  "customer|0.6|Yes, they're green now, and the page is loading. That was quick."
  "agent|0.5|Wonderful. Is there anything else I can help you with?"
  "customer|0.4|No, that's everything. Thanks a lot."
  "agent|0.3|You're welcome. Have a great day, goodbye."
)

parts=()
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$work/lead.wav" synth 0.5 pinknoise vol 0.004
parts+=("$work/lead.wav")
i=0
for turn in "${turns[@]}"; do
  IFS='|' read -r who pause text <<<"$turn"
  if [[ $who == agent ]]; then voice=("${agent[@]}"); else voice=("${customer[@]}"); fi
  espeak-ng "${voice[@]}" -w "$work/raw$i.wav" "$text"
  sox "$work/raw$i.wav" -r 8000 -c 1 -b 16 -e signed-integer "$work/t$i.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse norm -3
  sox -n -r 8000 -c 1 -b 16 -e signed-integer "$work/p$i.wav" synth "$pause" pinknoise vol 0.004
  parts+=("$work/t$i.wav" "$work/p$i.wav")
  i=$((i + 1))
done
sox "${parts[@]}" -r 8000 -c 1 -b 16 -e signed-integer "$out"
soxi "$out"
