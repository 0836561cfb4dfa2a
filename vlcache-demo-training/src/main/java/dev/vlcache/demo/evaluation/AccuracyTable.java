package dev.vlcache.demo.evaluation;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.vlcache.demo.task.QuestionKind;

/**
 * Scores summed per policy: short-answer accuracy, description F1, retained KV share, and short-answer accuracy
 * per question kind.
 */
public final class AccuracyTable {

	/**
	 * Totals for one policy.
	 * @param shortAnswers short questions answered
	 * @param shortCorrect short questions answered exactly
	 * @param descriptions descriptions answered
	 * @param descriptionF1 sum of description F1
	 * @param retained sum of retained KV shares
	 * @param byKind per kind: [questions, correct]
	 */
	public record Totals(int shortAnswers, double shortCorrect, int descriptions, double descriptionF1,
			double retained, Map<QuestionKind, double[]> byKind) {

		public double shortAccuracy() {
			return this.shortAnswers == 0 ? 0 : this.shortCorrect / this.shortAnswers;
		}

		public double meanDescriptionF1() {
			return this.descriptions == 0 ? 0 : this.descriptionF1 / this.descriptions;
		}

		public double meanRetained() {
			int n = this.shortAnswers + this.descriptions;
			return n == 0 ? 0 : this.retained / n;
		}

	}

	private final List<EvaluatedPolicy> policies;

	private final List<AccuracyRunner.Outcome> outcomes = new ArrayList<>();

	public AccuracyTable(List<EvaluatedPolicy> policies) {
		this.policies = List.copyOf(policies);
	}

	public void add(AccuracyRunner.Outcome outcome) {
		this.outcomes.add(outcome);
	}

	public List<EvaluatedPolicy> policies() {
		return this.policies;
	}

	public List<AccuracyRunner.Outcome> outcomes() {
		return this.outcomes;
	}

	/** Totals per policy, in policy order. */
	public Map<EvaluatedPolicy, Totals> totals() {
		Map<EvaluatedPolicy, Totals> out = new LinkedHashMap<>();
		for (int i = 0; i < this.policies.size(); i++) {
			int shortAnswers = 0;
			double shortCorrect = 0;
			int descriptions = 0;
			double f1 = 0;
			double retained = 0;
			Map<QuestionKind, double[]> byKind = new EnumMap<>(QuestionKind.class);
			for (AccuracyRunner.Outcome o : this.outcomes) {
				double score = o.scores()[i];
				retained += o.retained()[i];
				QuestionKind kind = o.sample().kind();
				if (kind.shortAnswer()) {
					shortAnswers++;
					shortCorrect += score;
					double[] k = byKind.computeIfAbsent(kind, x -> new double[2]);
					k[0]++;
					k[1] += score;
				}
				else {
					descriptions++;
					f1 += score;
				}
			}
			out.put(this.policies.get(i), new Totals(shortAnswers, shortCorrect, descriptions, f1, retained, byKind));
		}
		return out;
	}

}
