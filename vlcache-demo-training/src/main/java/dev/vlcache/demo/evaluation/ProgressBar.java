package dev.vlcache.demo.evaluation;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar with the time left, redrawn in place on a terminal. */
final class ProgressBar {

	private static final int WIDTH = 30;

	private final PrintStream out;

	private final int total;

	private final long started = System.nanoTime();

	private long lastDrawn;

	ProgressBar(PrintStream out, int total) {
		this.out = out;
		this.total = total;
	}

	void update(int done, String detail) {
		long now = System.nanoTime();
		if (done < this.total && now - this.lastDrawn < 500_000_000L) {
			return;
		}
		this.lastDrawn = now;
		int filled = (int) ((long) WIDTH * done / Math.max(1, this.total));
		double elapsed = (now - this.started) / 1e9;
		double left = done == 0 ? 0 : elapsed / done * (this.total - done);
		this.out.printf(Locale.ROOT, "\r[%s%s] %d/%d questions  %s  %s elapsed, %s left ", "#".repeat(filled),
				" ".repeat(WIDTH - filled), done, this.total, detail, clock(elapsed), clock(left));
		if (done >= this.total) {
			this.out.println();
		}
		this.out.flush();
	}

	private static String clock(double seconds) {
		long s = Math.round(seconds);
		return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
	}

}
