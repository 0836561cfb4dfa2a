package dev.vlcache.demo.training;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * AdamW (decoupled weight decay) with global gradient-norm clipping, updating parameters in place. Weight decay
 * applies to matrices only, not to norms, biases or embeddings.
 */
final class AdamW {

	private final double beta1;

	private final double beta2;

	private final double epsilon;

	private final double weightDecay;

	private final double clipNorm;

	private final Map<String, NDArray[]> moments = new LinkedHashMap<>();

	private int step;

	/** The moment arrays, to attach temporarily to a step's scope. */
	NDArray[] states() {
		return this.moments.values().stream().flatMap(java.util.Arrays::stream).toArray(NDArray[]::new);
	}

	/** Moments for every trainable parameter, held by {@code home}. */
	AdamW(NDManager home, Map<String, NDArray> parameters, double beta1, double beta2, double epsilon,
			double weightDecay, double clipNorm) {
		track(home, parameters);
		this.beta1 = beta1;
		this.beta2 = beta2;
		this.epsilon = epsilon;
		this.weightDecay = weightDecay;
		this.clipNorm = clipNorm;
	}

	/** Adds fresh moments, held by {@code home}, for trainable parameters not tracked yet (unfrozen ones). */
	void track(NDManager home, Map<String, NDArray> parameters) {
		parameters.forEach((name, p) -> {
			if (p.hasGradient() && !this.moments.containsKey(name)) {
				this.moments.put(name, new NDArray[] { home.zeros(p.getShape()), home.zeros(p.getShape()) });
			}
		});
	}

	/**
	 * One update from the gradients the last backward pass left, which are then zeroed. {@code scope} must hold
	 * the parameters and {@link #states()} (temporarily attached) so that every temporary is freed with it.
	 * @return the gradient norm before clipping
	 */
	double update(NDManager scope, Map<String, NDArray> parameters, double learningRate) {
		this.step++;
		Map<String, NDArray> gradients = new LinkedHashMap<>();
		double squares = 0;
		for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
			if (!e.getValue().hasGradient()) {
				continue;
			}
			NDArray g = e.getValue().getGradient();
			g.attach(scope);
			gradients.put(e.getKey(), g);
			squares += g.square().sum().getFloat();
		}
		double norm = Math.sqrt(squares);
		if (!Double.isFinite(norm)) {
			// A non-finite gradient would poison the moments for good: drop it and leave the parameters.
			for (NDArray g : gradients.values()) {
				g.muli(0);
				g.set(g.isNaN(), 0);
			}
			this.step--;
			return norm;
		}
		double scale = norm > this.clipNorm ? this.clipNorm / norm : 1.0;
		double correction1 = 1 - Math.pow(this.beta1, this.step);
		double correction2 = 1 - Math.pow(this.beta2, this.step);
		for (Map.Entry<String, NDArray> e : gradients.entrySet()) {
			NDArray p = parameters.get(e.getKey());
			NDArray g = e.getValue().mul(scale);
			NDArray[] m = this.moments.get(e.getKey());
			m[0].muli(this.beta1).addi(g.mul(1 - this.beta1));
			m[1].muli(this.beta2).addi(g.square().mul(1 - this.beta2));
			NDArray step = m[0].div(correction1).div(m[1].div(correction2).sqrt().add(this.epsilon));
			if (p.getShape().dimension() >= 2 && !e.getKey().contains("embed") && !e.getKey().contains("position")) {
				p.subi(p.mul(learningRate * this.weightDecay));
			}
			p.subi(step.mul(learningRate));
			e.getValue().subi(e.getValue());
		}
		return norm;
	}

}
