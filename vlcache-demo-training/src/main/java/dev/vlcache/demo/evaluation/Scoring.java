package dev.vlcache.demo.evaluation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Exact match for short answers, token F1 for descriptions, on normalised text. */
public final class Scoring {

	private Scoring() {
	}

	/** 1 when the answers are equal after normalisation, else 0. */
	public static double exactMatch(String prediction, String reference) {
		return tokens(prediction).equals(tokens(reference)) ? 1 : 0;
	}

	/** The harmonic mean of token precision and recall, counting repeated tokens (SQuAD's F1). */
	public static double tokenF1(String prediction, String reference) {
		List<String> p = tokens(prediction);
		List<String> r = tokens(reference);
		if (p.isEmpty() || r.isEmpty()) {
			return p.equals(r) ? 1 : 0;
		}
		Map<String, Integer> counts = new HashMap<>();
		for (String t : r) {
			counts.merge(t, 1, Integer::sum);
		}
		int common = 0;
		for (String t : p) {
			Integer c = counts.get(t);
			if (c != null && c > 0) {
				common++;
				counts.put(t, c - 1);
			}
		}
		if (common == 0) {
			return 0;
		}
		double precision = common / (double) p.size();
		double recall = common / (double) r.size();
		return 2 * precision * recall / (precision + recall);
	}

	/** Lower-case words, punctuation dropped. */
	static List<String> tokens(String text) {
		List<String> out = new ArrayList<>();
		for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
			if (!t.isEmpty()) {
				out.add(t);
			}
		}
		return out;
	}

}
