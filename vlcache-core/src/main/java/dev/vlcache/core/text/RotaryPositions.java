package dev.vlcache.core.text;

/**
 * The rotary position of every sequence index of one request, on each position stream the model rotates by.
 * Llama, Mistral and Qwen2 rotate by one stream, the sequence index itself. Qwen2-VL rotates by three (temporal,
 * height, width): an image's tokens take their grid coordinates and the text after an image continues past them,
 * so that positions and sequence indices part ways.
 *
 * <p>
 * Sequence indices are what the cache and the causal mask order entries by; rotary positions only say how a key or
 * query is rotated. A kept key keeps the rotation it was computed with, so compression needs neither renumbered.
 */
@FunctionalInterface
public interface RotaryPositions {

	/** The position is the sequence index, on every stream. */
	RotaryPositions SEQUENTIAL = (stream, index) -> index;

	/** The rotary position of sequence index {@code index} on position stream {@code stream}. */
	long position(int stream, int index);

}
