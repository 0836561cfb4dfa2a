package dev.vlcache.demo.training;

/**
 * How many objects a training page may hold: one at first, then two, three and four, then the task's own four
 * to eight (one page) or two to four (several). A stage ends when the running loss falls below
 * {@value #THRESHOLD}, or at the latest after a twentieth of the steps, so that the full task gets most of
 * training. First learn to look at objects, then to tell them apart.
 */
final class Curriculum {

	static final double THRESHOLD = 0.3;

	private static final int[] STAGES = { 1, 2, 3, 4, Integer.MAX_VALUE };

	private final int stageSteps;

	private int stage;

	private int stageStart = 1;

	private double running = Double.NaN;

	Curriculum(int steps) {
		this.stageSteps = Math.max(1, steps / 20);
	}

	int maxObjects() {
		return STAGES[this.stage];
	}

	/** Records a step's loss; whether the next step moves to the next stage. */
	boolean observe(int step, double loss) {
		this.running = Double.isNaN(this.running) ? loss : 0.95 * this.running + 0.05 * loss;
		boolean last = this.stage == STAGES.length - 1;
		if (!last && step - this.stageStart >= 20 && (this.running < THRESHOLD || step - this.stageStart >= this.stageSteps)) {
			this.stage++;
			this.stageStart = step + 1;
			this.running = Double.NaN;
			return true;
		}
		return false;
	}

}
