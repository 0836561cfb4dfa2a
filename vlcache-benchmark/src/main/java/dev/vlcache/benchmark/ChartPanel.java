package dev.vlcache.benchmark;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

/**
 * One panel of a benchmark chart: title, axes, five grid lines, the x categories evenly spaced, and lines of
 * values over them (a measurement solid with dots, its limit dashed with ticks), clipped at the top.
 */
final class ChartPanel {

	/** Draws one panel of the given width and height at {@code x0} for {@code key}. */
	@FunctionalInterface
	interface Drawer {

		void draw(Graphics2D g, int x0, int width, int height, String key);

	}

	/** A PNG of one {@code width} x {@code height} panel per key, side by side on white; nothing without keys. */
	static void writeChart(Path file, Collection<String> keys, int width, int height, Drawer drawer)
			throws IOException {
		if (keys.isEmpty()) {
			return;
		}
		BufferedImage img = new BufferedImage(width * keys.size(), height, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = img.createGraphics();
		g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, img.getWidth(), img.getHeight());
		int p = 0;
		for (String key : keys) {
			drawer.draw(g, p++ * width, width, height, key);
		}
		g.dispose();
		ImageIO.write(img, "png", file.toFile());
	}

	private final Graphics2D g;

	private final int left;

	private final int right;

	private final int top;

	private final int bottom;

	private final List<Integer> xs;

	private final double maxY;

	/**
	 * Draws the frame of a panel {@code width} x {@code height} at {@code x0}.
	 * @param yFormat how grid values are written ({@code "%.2fx"}, {@code "%.0f"})
	 */
	ChartPanel(Graphics2D g, int x0, int width, int height, String title, List<Integer> xs, String xLabel, double maxY,
			String yFormat) {
		this.g = g;
		this.left = x0 + 60;
		this.right = x0 + width - 20;
		this.top = 40;
		this.bottom = height - 50;
		this.xs = xs;
		this.maxY = maxY;
		g.setColor(Color.BLACK);
		g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
		g.drawString(title, x0 + 20, 22);
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
		g.drawLine(this.left, this.bottom, this.right, this.bottom);
		g.drawLine(this.left, this.top, this.left, this.bottom);
		for (int i = 0; i <= 5; i++) {
			double v = maxY * i / 5;
			int y = y(v);
			g.setColor(new Color(0xdddddd));
			g.drawLine(this.left + 1, y, this.right, y);
			g.setColor(Color.BLACK);
			g.drawString(String.format(Locale.ROOT, yFormat, v), x0 + 12, y + 4);
		}
		for (int i = 0; i < xs.size(); i++) {
			String label = Integer.toString(xs.get(i));
			g.drawString(label, x(i) - 3 * label.length(), this.bottom + 16);
		}
		g.drawString(xLabel, (this.left + this.right) / 2 - 3 * xLabel.length(), this.bottom + 34);
	}

	private int x(int i) {
		int count = this.xs.size();
		return count == 1 ? (this.left + this.right) / 2
				: this.left + 30 + (this.right - this.left - 60) * i / (count - 1);
	}

	private int y(double v) {
		return (int) (this.bottom - (this.bottom - this.top) * Math.min(v, this.maxY) / this.maxY);
	}

	/**
	 * A line through {@code values}, one per x category ({@code NaN}: none there): solid with dots, or dashed with
	 * a tick at every point (so that a single point still shows where it is).
	 */
	void line(Color color, double[] values, boolean dashed) {
		this.g.setColor(color);
		this.g.setStroke(dashed
				? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] { 6, 5 }, 0)
				: new BasicStroke(2.5f));
		int prevX = -1;
		int prevY = -1;
		for (int i = 0; i < values.length; i++) {
			if (Double.isNaN(values[i])) {
				continue;
			}
			int x = x(i);
			int y = y(values[i]);
			if (prevX >= 0) {
				this.g.drawLine(prevX, prevY, x, y);
			}
			if (dashed) {
				this.g.drawLine(x - 10, y, x + 10, y);
			}
			else {
				this.g.fillOval(x - 3, y - 3, 7, 7);
			}
			prevX = x;
			prevY = y;
		}
		this.g.setStroke(new BasicStroke(1));
	}

	/** Legend entry {@code row} (0 first), top left, or bottom right when {@code low}. */
	void legend(int row, Color color, String text, boolean low) {
		int ly = low ? this.bottom - 28 + 16 * row : this.top + 14 + 16 * row;
		int lx = low ? (this.left + this.right) / 2 - 60 : this.left + 12;
		this.g.setColor(color);
		this.g.fillRect(lx, ly - 8, 14, 4);
		this.g.setColor(Color.BLACK);
		this.g.drawString(text, lx + 20, ly - 3);
	}

}
