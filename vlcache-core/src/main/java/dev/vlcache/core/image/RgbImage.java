package dev.vlcache.core.image;

/**
 * An 8-bit RGB image in planar layout: {@code planes[c][y * width + x]}, values 0..255.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param planes red, green and blue planes
 */
public record RgbImage(int width, int height, int[][] planes) {

}
