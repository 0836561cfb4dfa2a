package dev.vlcache.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

import org.jspecify.annotations.Nullable;

/**
 * Tensor building blocks with Hugging Face semantics. Every operation takes the activation as its first operand,
 * so that results belong to the activation's {@code NDManager} (the request's), never to the model's.
 */
public final class Ops {

	private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

	private Ops() {
	}

	/** {@code x W^T + b}, like {@code torch.nn.functional.linear}. */
	public static NDArray linear(NDArray x, NDArray weight, @Nullable NDArray bias) {
		return Linear.linear(x, weight, bias).singletonOrThrow();
	}

	/** LlamaRMSNorm: normalise in float32, cast back, then scale. */
	public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
		DataType type = x.getDataType();
		NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
		NDArray variance = x32.square().mean(new int[] { -1 }, true);
		NDArray normed = x32.div(variance.add(eps).sqrt());
		if (type != DataType.FLOAT32) {
			normed = normed.toType(type, false);
		}
		return normed.mul(weight);
	}

	/** LayerNorm over the last dimension. */
	public static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
		return LayerNorm.layerNorm(x, new Shape(weight.getShape().get(0)), weight, bias, (float) eps)
			.singletonOrThrow();
	}

	/** The activation functions named by Hugging Face's {@code ACT2FN}. */
	public static NDArray activation(NDArray x, String name) {
		switch (name) {
			case "gelu":
				return Activation.gelu(x);
			case "gelu_pytorch_tanh":
			case "gelu_new":
			case "gelu_fast":
				return geluTanh(x);
			case "quick_gelu":
				return x.mul(Activation.sigmoid(x.mul(1.702)));
			case "silu":
			case "swish":
				return x.mul(Activation.sigmoid(x));
			case "relu":
				return Activation.relu(x);
			default:
				throw new IllegalArgumentException("unsupported activation '" + name + "'");
		}
	}

	/** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
	public static NDArray geluTanh(NDArray x) {
		NDArray inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
		return x.mul(inner.tanh().add(1)).mul(0.5);
	}

}
