package dev.vlcache.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG, JPEG, GIF, BMP and WebP bytes into {@link RgbImage}s, as PIL's {@code convert("RGB")} would: alpha
 * is dropped (not composited) and grey levels are taken as they are stored (Java's {@code getRGB} would apply a
 * linear-to-sRGB conversion to grey images).
 */
public final class ImageDecoder {

	static {
		// Registers the WebP reader when running from a nested jar where the service loader ran too early.
		ImageIO.scanForPlugins();
		ImageIO.setUseCache(false);
	}

	private ImageDecoder() {
	}

	/**
	 * Decodes {@code bytes}; {@code name} identifies the image in error messages (e.g. "image 2" or a file name).
	 */
	public static RgbImage decode(byte[] bytes, String name) {
		if (bytes.length == 0) {
			throw new ImageException(name + " is empty (0 bytes)");
		}
		BufferedImage image;
		try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
			Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
			if (!readers.hasNext()) {
				throw new ImageException(name + " is not a supported image: expected PNG, JPEG, GIF, BMP or WebP ("
						+ bytes.length + " bytes, starting with " + hexPrefix(bytes) + ")");
			}
			ImageReader reader = readers.next();
			try {
				reader.setInput(in, true, true);
				image = reader.read(0);
			}
			finally {
				reader.dispose();
			}
		}
		catch (IOException | RuntimeException ex) {
			if (ex instanceof ImageException ie) {
				throw ie;
			}
			throw new ImageException(name + " could not be decoded (corrupt or truncated): " + ex.getMessage(), ex);
		}
		if (image == null || image.getWidth() <= 0 || image.getHeight() <= 0) {
			throw new ImageException(name + " could not be decoded: no image data");
		}
		return toRgb(image);
	}

	static RgbImage toRgb(BufferedImage image) {
		int w = image.getWidth();
		int h = image.getHeight();
		int[][] planes = new int[3][w * h];
		Raster raster = image.getRaster();
		boolean grey = image.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
				&& raster.getNumBands() <= 2 && raster.getSampleModel().getSampleSize(0) == 8;
		if (grey) {
			int[] row = new int[w];
			for (int y = 0; y < h; y++) {
				raster.getSamples(0, y, w, 1, 0, row);
				for (int x = 0; x < w; x++) {
					int i = y * w + x;
					planes[0][i] = row[x];
					planes[1][i] = row[x];
					planes[2][i] = row[x];
				}
			}
			return new RgbImage(w, h, planes);
		}
		int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
		for (int i = 0; i < argb.length; i++) {
			int p = argb[i];
			planes[0][i] = (p >> 16) & 0xFF;
			planes[1][i] = (p >> 8) & 0xFF;
			planes[2][i] = p & 0xFF;
		}
		return new RgbImage(w, h, planes);
	}

	private static String hexPrefix(byte[] bytes) {
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < Math.min(8, bytes.length); i++) {
			sb.append(String.format("%02x", bytes[i] & 0xFF));
		}
		return "0x" + sb;
	}

}
