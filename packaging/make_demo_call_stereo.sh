#!/usr/bin/env bash
# Rebuilds resources/demo-call-stereo.wav: the demo call's two parties on their own channels,
# agent LEFT, customer RIGHT, for the relay's push simulators and the two-party features.
# Same voices and turns as make_demo_call.sh, but timed like a real call: two stretches where
# one party talks over the other (negative pauses below) and one long silence (3.6 s, while the
# agent "resets the line"). Each channel carries its own faint line noise.
# Output: 8 kHz stereo 16-bit PCM.  Needs: espeak-ng, sox.
# Usage: packaging/make_demo_call_stereo.sh [out.wav]
set -euo pipefail

out="${1:-$(dirname "$0")/../resources/demo-call-stereo.wav}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

agent=(-v en-us+f3 -p 55 -s 185)
customer=(-v en-gb+m3 -p 35 -s 175)
fmt=(-r 8000 -c 1 -b 16 -e signed-integer)

# speaker|pause-after-seconds (negative: the next turn starts before this one ends)|text
turns=(
  "agent|0.6|Thank you for calling Northwind support, this is Dana. How can I help you today?"
  "customer|0.5|Hi Dana. My internet has been dropping out every few minutes since this morning."
  "agent|-0.9|I'm sorry to hear that. Could you read me the account number on your last bill?"
  "customer|0.7|Sure, it's four seven one, two nine, eight eight three."
  "agent|3.6|Thanks. I can see a line fault in your area. Let me reset your connection from here."
  "agent|-1.1|Done. The lights on your router should blink for a moment and then turn green."
  "customer|0.6|Yes, they're green now, and the page is loading. That was quick."
  "agent|0.5|Wonderful. Is there anything else I can help you with?"
  "customer|0.4|No, that's everything. Thanks a lot."
  "agent|0.3|You're welcome. Have a great day, goodbye."
)

cursor=0.5 # the call opens with half a second of line noise
agent_parts=()
customer_parts=()
i=0
for turn in "${turns[@]}"; do
  IFS='|' read -r who pause text <<<"$turn"
  if [[ $who == agent ]]; then voice=("${agent[@]}"); else voice=("${customer[@]}"); fi
  espeak-ng "${voice[@]}" -w "$work/raw$i.wav" "$text"
  sox "$work/raw$i.wav" "${fmt[@]}" "$work/t$i.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse norm -3
  sox "$work/t$i.wav" "$work/at$i.wav" pad "$cursor"
  if [[ $who == agent ]]; then agent_parts+=(-v 1 "$work/at$i.wav"); else customer_parts+=(-v 1 "$work/at$i.wav"); fi
  length="$(soxi -D "$work/t$i.wav")"
  cursor="$(awk "BEGIN { print $cursor + $length + $pause }")"
  i=$((i + 1))
done
total="$(awk "BEGIN { print $cursor + 0.5 }")"

for side in agent customer; do
  parts_var="${side}_parts[@]"
  sox -n "${fmt[@]}" "$work/noise-$side.wav" synth "$total" pinknoise vol 0.004
  sox -m -v 1 "$work/noise-$side.wav" "${!parts_var}" "${fmt[@]}" "$work/$side.wav" trim 0 "$total"
done
sox -M "$work/agent.wav" "$work/customer.wav" -r 8000 -b 16 -e signed-integer "$out"
soxi "$out"
