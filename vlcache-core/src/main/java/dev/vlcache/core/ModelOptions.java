package dev.vlcache.core;

/**
 * How to load a model.
 *
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param dtype {@code auto}, {@code float32} or {@code float16}
 */
public record ModelOptions(String device, String dtype) {

	public static final ModelOptions DEFAULT = new ModelOptions("auto", "auto");

}
