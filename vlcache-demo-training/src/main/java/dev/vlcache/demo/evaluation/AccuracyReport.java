package dev.vlcache.demo.evaluation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.imageio.ImageIO;

import dev.vlcache.demo.task.QuestionKind;

/** Writes the evaluation as {@code accuracy.md}, {@code accuracy.csv} and {@code accuracy.png}. */
public final class AccuracyReport {

	private static final Color[] COLORS = { new Color(0xd62728), new Color(0xff7f0e), new Color(0x8c564b),
			new Color(0x1f77b4), new Color(0x2ca02c), new Color(0x9467bd), new Color(0x7f7f7f) };

	private AccuracyReport() {
	}

	/**
	 * Writes the three files into {@code dir}.
	 * @param header lines describing the run (seed, questions, model, machine, time)
	 */
	public static void write(Path dir, AccuracyTable table, double[] budgets, List<String> header)
			throws IOException {
		Files.createDirectories(dir);
		Map<EvaluatedPolicy, AccuracyTable.Totals> totals = table.totals();
		Files.writeString(dir.resolve("accuracy.md"), markdown(totals, budgets, header));
		Files.writeString(dir.resolve("accuracy.csv"), csv(totals));
		chart(dir.resolve("accuracy.png"), totals, budgets);
	}

	static String markdown(Map<EvaluatedPolicy, AccuracyTable.Totals> totals, double[] budgets, List<String> header) {
		AccuracyTable.Totals full = totals.get(EvaluatedPolicy.FULL);
		StringBuilder md = new StringBuilder("# Demo model: accuracy against KV-cache budget\n\n");
		header.forEach(h -> md.append(h).append("  \n"));
		md.append("\n## Short answers: exact match (%)\n\n");
		table(md, totals, budgets, AccuracyTable.Totals::shortAccuracy);
		if (full.descriptions() > 0) {
			md.append("\n## Descriptions: token F1 (%)\n\n");
			table(md, totals, budgets, AccuracyTable.Totals::meanDescriptionF1);
		}
		md.append("\n## Short answers by kind at a 10% budget: exact match (%)\n\n| kind | questions | full cache |");
		List<String> lines = EvaluatedPolicy.lines();
		lines.forEach(l -> md.append(' ').append(l).append(" |"));
		md.append("\n| --- | ---: | ---: |").append(" ---: |".repeat(lines.size())).append('\n');
		for (QuestionKind kind : QuestionKind.values()) {
			double[] f = full.byKind().get(kind);
			if (f == null) {
				continue;
			}
			md.append("| ").append(kind.name().toLowerCase(Locale.ROOT)).append(" | ").append((int) f[0]).append(" | ")
				.append(pct(f[1] / f[0])).append(" |");
			for (String l : lines) {
				AccuracyTable.Totals t = find(totals, l, 0.1);
				double[] k = t == null ? null : t.byKind().get(kind);
				md.append(' ').append(k == null ? "-" : pct(k[1] / k[0])).append(" |");
			}
			md.append('\n');
		}
		md.append("\n## Targets\n\n").append(Targets.of(totals, budgets).markdown());
		return md.toString();
	}

	private static void table(StringBuilder md, Map<EvaluatedPolicy, AccuracyTable.Totals> totals, double[] budgets,
			java.util.function.ToDoubleFunction<AccuracyTable.Totals> metric) {
		md.append("| policy |");
		for (double b : budgets) {
			md.append(' ').append(EvaluatedPolicy.percent(b)).append(" |");
		}
		md.append("\n| --- |").append(" ---: |".repeat(budgets.length)).append('\n');
		String full = pct(metric.applyAsDouble(totals.get(EvaluatedPolicy.FULL)));
		md.append("| full cache (100%) |").append((" " + full + " |").repeat(budgets.length)).append('\n');
		for (String line : EvaluatedPolicy.lines()) {
			md.append("| ").append(line).append(" |");
			for (double b : budgets) {
				AccuracyTable.Totals t = find(totals, line, b);
				md.append(' ').append(t == null ? "-" : pct(metric.applyAsDouble(t))).append(" |");
			}
			md.append('\n');
		}
	}

	static String csv(Map<EvaluatedPolicy, AccuracyTable.Totals> totals) {
		StringBuilder csv = new StringBuilder(
				"line,policy,allocation,budget,short_questions,short_accuracy,descriptions,description_f1,retained_kv_share\n");
		totals.forEach((p, t) -> csv.append(String.format(Locale.ROOT, "%s,%s,%s,%.2f,%d,%.4f,%d,%.4f,%.4f%n",
				p.line(), p.policy(), p.allocation() == null ? "" : p.allocation().id(), p.budget(), t.shortAnswers(),
				t.shortAccuracy(), t.descriptions(), t.meanDescriptionF1(), t.meanRetained())));
		return csv.toString();
	}

	static AccuracyTable.@org.jspecify.annotations.Nullable Totals find(
			Map<EvaluatedPolicy, AccuracyTable.Totals> totals, String line, double budget) {
		for (Map.Entry<EvaluatedPolicy, AccuracyTable.Totals> e : totals.entrySet()) {
			if (e.getKey().line().equals(line) && Math.abs(e.getKey().budget() - budget) < 1e-9) {
				return e.getValue();
			}
		}
		return null;
	}

	static String pct(double v) {
		return String.format(Locale.ROOT, "%.1f", v * 100);
	}

	private static void chart(Path file, Map<EvaluatedPolicy, AccuracyTable.Totals> totals, double[] budgets)
			throws IOException {
		int w = 760;
		int h = 460;
		int left = 60;
		int right = w - 200;
		int top = 40;
		int bottom = h - 50;
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = img.createGraphics();
		g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, w, h);
		g.setColor(Color.BLACK);
		g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
		g.drawString("Demo task: short-answer accuracy against KV-cache budget", left, 22);
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
		g.drawLine(left, bottom, right, bottom);
		g.drawLine(left, top, left, bottom);
		for (int i = 0; i <= 10; i++) {
			int y = bottom - (bottom - top) * i / 10;
			g.setColor(new Color(0xdddddd));
			g.drawLine(left + 1, y, right, y);
			g.setColor(Color.BLACK);
			g.drawString((i * 10) + "%", left - 36, y + 4);
		}
		double minLog = Math.log(budgets[0]);
		double maxLog = Math.log(budgets[budgets.length - 1]);
		java.util.function.DoubleToIntFunction xOf = b -> left + 20
				+ (int) ((right - left - 40) * (Math.log(b) - minLog) / Math.max(1e-9, maxLog - minLog));
		for (double b : budgets) {
			g.drawString(EvaluatedPolicy.percent(b), xOf.applyAsInt(b) - 10, bottom + 16);
		}
		g.drawString("KV-cache budget (log scale)", (left + right) / 2 - 70, bottom + 34);
		double full = totals.get(EvaluatedPolicy.FULL).shortAccuracy();
		int fullY = (int) (bottom - (bottom - top) * full);
		g.setColor(Color.BLACK);
		g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] { 6, 5 }, 0));
		g.drawLine(left + 1, fullY, right, fullY);
		g.setStroke(new BasicStroke(1));
		g.drawString("full cache", right + 12, top + 14);
		g.drawLine(right + 80, top + 10, right + 100, top + 10);
		List<String> lines = EvaluatedPolicy.lines();
		for (int k = 0; k < lines.size(); k++) {
			Color color = COLORS[k % COLORS.length];
			g.setColor(color);
			g.setStroke(new BasicStroke(k == 0 ? 3f : 2f));
			int px = -1;
			int py = -1;
			for (double b : budgets) {
				AccuracyTable.Totals t = find(totals, lines.get(k), b);
				if (t == null) {
					continue;
				}
				int x = xOf.applyAsInt(b);
				int y = (int) (bottom - (bottom - top) * t.shortAccuracy());
				if (px >= 0) {
					g.drawLine(px, py, x, y);
				}
				g.fillOval(x - 3, y - 3, 7, 7);
				px = x;
				py = y;
			}
			g.setStroke(new BasicStroke(1));
			int ly = top + 34 + 18 * k;
			g.fillRect(right + 12, ly - 6, 16, 4);
			g.setColor(Color.BLACK);
			g.drawString(lines.get(k), right + 34, ly);
		}
		g.dispose();
		ImageIO.write(img, "png", file.toFile());
	}

}
