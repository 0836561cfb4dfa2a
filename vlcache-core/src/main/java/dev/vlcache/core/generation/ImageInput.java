package dev.vlcache.core.generation;

/**
 * An image of a request, as encoded bytes.
 *
 * @param name how error messages refer to it (e.g. "image 1" or a file name)
 * @param bytes PNG, JPEG, GIF, BMP or WebP data
 */
public record ImageInput(String name, byte[] bytes) {
}
