package dev.vlcache.demo.task;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import dev.vlcache.core.image.RgbImage;

/**
 * A page of {@value #SIZE} x {@value #SIZE} pixels: a {@value #CELLS} x {@value #CELLS} grid of
 * {@value #CELL}-pixel cells, a few of which hold an object. One cell is one image token of the demo model, so
 * every answer sits in one or a few of its 256 image tokens.
 *
 * @param objects the objects, in reading order
 */
public record Scene(List<SceneObject> objects) {

	/** Cells per side. */
	public static final int CELLS = 16;

	/** Pixels per cell side (the vision tower's patch size). */
	public static final int CELL = 16;

	/** Pixels per image side. */
	public static final int SIZE = CELLS * CELL;

	private static final int PAPER = 245;

	public Scene {
		objects = objects.stream()
			.sorted(Comparator.comparingInt(SceneObject::row).thenComparingInt(SceneObject::column))
			.toList();
	}

	/** Every object in reading order, e.g. {@code red circle k top left, blue square a bottom right}. */
	public String describe() {
		return this.objects.stream().map(SceneObject::describe).collect(Collectors.joining(", "));
	}

	/** The page as pixels. */
	public RgbImage render() {
		int[][] planes = new int[3][SIZE * SIZE];
		for (int[] plane : planes) {
			java.util.Arrays.fill(plane, PAPER);
		}
		for (SceneObject o : this.objects) {
			int x0 = o.column() * CELL;
			int y0 = o.row() * CELL;
			int gx = (CELL - Glyphs.WIDTH) / 2;
			int gy = (CELL - Glyphs.HEIGHT) / 2;
			for (int y = 0; y < CELL; y++) {
				for (int x = 0; x < CELL; x++) {
					boolean ink = x >= gx && x < gx + Glyphs.WIDTH && y >= gy && y < gy + Glyphs.HEIGHT
							&& Glyphs.inked(o.letter(), x - gx, y - gy);
					int index = (y0 + y) * SIZE + x0 + x;
					if (ink) {
						planes[0][index] = 0;
						planes[1][index] = 0;
						planes[2][index] = 0;
					}
					else if (o.shape().covers(x + 0.5, y + 0.5, CELL)) {
						planes[0][index] = o.colour().red();
						planes[1][index] = o.colour().green();
						planes[2][index] = o.colour().blue();
					}
				}
			}
		}
		return new RgbImage(SIZE, SIZE, planes);
	}

	/** The page as a PNG file. */
	public byte[] png() {
		RgbImage image = render();
		BufferedImage out = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
		for (int y = 0; y < SIZE; y++) {
			for (int x = 0; x < SIZE; x++) {
				int i = y * SIZE + x;
				out.setRGB(x, y, image.planes()[0][i] << 16 | image.planes()[1][i] << 8 | image.planes()[2][i]);
			}
		}
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try {
			ImageIO.write(out, "png", bytes);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return bytes.toByteArray();
	}

}
