#!/usr/bin/env bash
# Regenerate the committed test clips in tests/data/ (run from anywhere).
#
# Needs espeak-ng, sox (with libsox-fmt-all) and ffmpeg (with libmp3lame).
# Deterministic: fixed voice, speed, pitch and amplitude; sox runs without dither (-D) and in
# repeatable mode (-R); ffmpeg writes bit-exact output without metadata.
set -euo pipefail

VOICE="en-us"   # espeak-ng voice
SPEED=160       # words per minute
PITCH=50        # espeak-ng default pitch, pinned
AMPLITUDE=100   # espeak-ng default amplitude, pinned
RATE=16000      # Whisper's sample rate (Hz)
PAUSE_SECONDS=7.0

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$HERE"

SOX=(sox -D -R -V1)

# speak TEXT OUT: espeak-ng -> 16 kHz mono 16-bit wav
speak() {
    espeak-ng -v "$VOICE" -s "$SPEED" -p "$PITCH" -a "$AMPLITUDE" -w "$TMP/raw.wav" "$1"
    "${SOX[@]}" "$TMP/raw.wav" -r "$RATE" -c 1 -b 16 -e signed-integer "$2"
}

# speak_trimmed TEXT OUT: as speak, with espeak's leading and trailing near-silence removed
speak_trimmed() {
    speak "$1" "$TMP/untrimmed.wav"
    "${SOX[@]}" "$TMP/untrimmed.wav" "$2" \
        silence 1 0.005 0.1% reverse silence 1 0.005 0.1% reverse
}

# --- hello: one sentence in every container we read -------------------------------------------
HELLO="Hello world. This is a test of the whisper visualizer."
speak "$HELLO" hello.wav
printf '%s\n' "$HELLO" > hello.txt
"${SOX[@]}" hello.wav hello.flac
"${SOX[@]}" hello.wav -C 3 hello.ogg
ffmpeg -nostdin -loglevel error -y -i hello.wav -map_metadata -1 -fflags +bitexact \
    -flags:a +bitexact -c:a libmp3lame -b:a 64k hello.mp3
# 44.1 kHz stereo: left = speech, right = speech at half gain, so mixing is observable
"${SOX[@]}" hello.wav -r 44100 "$TMP/hello44k.wav"
"${SOX[@]}" "$TMP/hello44k.wav" "$TMP/hello44k_half.wav" vol 0.5
"${SOX[@]}" -M "$TMP/hello44k.wav" "$TMP/hello44k_half.wav" -b 16 hello_stereo44k.wav

# --- pause7: sentence + exactly 7.0 s of digital silence + sentence ------------------------------
FIRST="Is there a McDonalds around here?"
SECOND="I'm here often."
speak_trimmed "$FIRST" "$TMP/first.wav"
speak_trimmed "$SECOND" "$TMP/second.wav"
"${SOX[@]}" -n -r "$RATE" -c 1 -b 16 -e signed-integer "$TMP/gap.wav" trim 0 "$PAUSE_SECONDS"
"${SOX[@]}" "$TMP/first.wav" "$TMP/gap.wav" "$TMP/second.wav" pause7.flac
printf '%s %s\n' "$FIRST" "$SECOND" > pause7.txt

# --- speech20: ~20 s of continuous speech for benchmarks -----------------------------------------
SPEECH20="The weather this morning was cold and grey, with a light rain falling over the city. \
Most people waited at the station for the early train, reading the news on their phones. \
When the train finally arrived, it was ten minutes late, and every seat was taken. \
By noon the clouds had cleared, and the sun came out over the river."
speak "$SPEECH20" "$TMP/speech20.wav"
"${SOX[@]}" "$TMP/speech20.wav" speech20.flac
printf '%s\n' "$SPEECH20" > speech20.txt

# --- long45: ~45 s over several paragraphs, to seek across 30 s windows --------------------------
LONG45="The history of the railway begins with simple wooden tracks in coal mines. \
Horses pulled the wagons, and the loads were heavy and slow to move. \
Then engineers built the first steam engines, and everything began to change. \
Within a few decades, iron lines connected towns that had been days apart. \
Farmers could send fresh milk to the city before it spoiled. \
Newspapers printed in the capital reached the coast the very same evening. \
Clocks across the country were set to one standard time, so that the timetables made sense. \
Today, fast electric trains carry millions of passengers every day. \
They are quiet, clean, and far more efficient than cars for long journeys."
speak "$LONG45" "$TMP/long45.wav"
"${SOX[@]}" "$TMP/long45.wav" long45.flac
printf '%s\n' "$LONG45" > long45.txt

# --- silence3: 3 s of digital silence ------------------------------------------------------------
"${SOX[@]}" -n -r "$RATE" -c 1 -b 16 -e signed-integer silence3.wav trim 0 3.0

for f in hello.wav hello.flac hello.ogg hello.mp3 hello_stereo44k.wav pause7.flac speech20.flac \
         long45.flac silence3.wav; do
    printf '%-22s %s s\n' "$f" "$(soxi -D "$f")"
done
