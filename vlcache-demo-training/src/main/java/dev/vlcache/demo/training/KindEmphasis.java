package dev.vlcache.demo.training;

import dev.vlcache.demo.task.QuestionKind;

/**
 * Weighs each answer word by how often the model currently gets words of its question kind wrong, so that the
 * kinds it has not learnt to read get most of the gradient. Without it, whichever attributes the decoder picked
 * up first kept most of the loss's attention and the others stayed at chance for thousands of steps (which ones
 * depended only on which weights were frozen; see {@link TrainableLlava#freezeAlignedInputs}).
 */
final class KindEmphasis {

	/** Memory of the running accuracies, about 50 steps. */
	private static final double DECAY = 0.98;

	/** Weight kept by a kind that is always right, so that what is learnt is not forgotten. */
	private static final double FLOOR = 0.1;

	/** Running share of words right per question kind; the last slot is the end-of-answer token. */
	private final double[] accuracy = new double[QuestionKind.values().length + 1];

	/** The batch's answer weights, each times its kind's emphasis: the floor plus its running error rate. */
	float[] weights(TrainingBatch batch) {
		float[] out = new float[batch.weights().length];
		for (int i = 0; i < out.length; i++) {
			out[i] = (float) (batch.weights()[i] * (FLOOR + 1 - this.accuracy[slot(batch.kinds()[i])]));
		}
		return out;
	}

	/**
	 * Updates the running accuracies with one step's predictions ({@code predicted[i]} for target {@code i}).
	 * @return the step's answer words right ({@code [0]}) and in all ({@code [1]}), indexed by question kind's
	 *         ordinal, the end-of-answer token last
	 */
	int[][] observe(TrainingBatch batch, long[] predicted) {
		int[] right = new int[this.accuracy.length];
		int[] total = new int[this.accuracy.length];
		for (int i = 0; i < predicted.length; i++) {
			int s = slot(batch.kinds()[i]);
			right[s] += predicted[i] == batch.targets()[i] ? 1 : 0;
			total[s]++;
		}
		for (int s = 0; s < total.length; s++) {
			if (total[s] > 0) {
				this.accuracy[s] = DECAY * this.accuracy[s] + (1 - DECAY) * right[s] / (double) total[s];
			}
		}
		return new int[][] { right, total };
	}

	private int slot(QuestionKind kind) {
		return kind == null ? this.accuracy.length - 1 : kind.ordinal();
	}

}
