package dev.vlcache.core.runtime;

import java.util.Locale;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

/**
 * Turns the user's {@code device} and {@code dtype} settings into a DJL {@link Device} and {@link DataType}.
 *
 * <p>
 * {@code auto} picks the first GPU when the PyTorch engine sees one, else the CPU. The dtype defaults to float32
 * on CPU (libtorch's float16 matrix products are about 100x slower than float32 on CPUs without native half
 * support) and float16 on GPU. bfloat16 is refused: DJL 0.36's PyTorch engine aborts the JVM as soon as a
 * BFLOAT16 NDArray exists, so BF16 checkpoints are converted while loading instead.
 */
public final class DeviceSelector {

	private DeviceSelector() {
	}

	/** Selects the device using the GPU count of the installed PyTorch engine. */
	public static Device selectDevice(String requested) {
		return selectDevice(requested, Engine.getEngine("PyTorch").getGpuCount());
	}

	/**
	 * Selects the device for {@code requested} ({@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}) given
	 * {@code gpuCount} visible GPUs.
	 * @throws InvalidDeviceException for a value that is not one of those, or a GPU that is not there
	 */
	public static Device selectDevice(String requested, int gpuCount) {
		String value = requested.trim().toLowerCase(Locale.ROOT);
		if (value.equals("auto")) {
			return gpuCount > 0 ? Device.gpu(0) : Device.cpu();
		}
		if (value.equals("cpu")) {
			return Device.cpu();
		}
		if (value.equals("gpu") || value.equals("cuda") || value.startsWith("gpu:") || value.startsWith("cuda:")) {
			int id = 0;
			int colon = value.indexOf(':');
			if (colon >= 0) {
				try {
					id = Integer.parseInt(value.substring(colon + 1));
				}
				catch (NumberFormatException ex) {
					throw new InvalidDeviceException(requested, "device '" + requested + "' is not valid; expected auto, cpu, gpu or gpu:N");
				}
			}
			if (gpuCount == 0) {
				throw new InvalidDeviceException(requested, "device '" + requested
						+ "' was requested but the PyTorch engine sees no GPU: provide the CUDA build of libtorch "
						+ "(ai.djl.pytorch:pytorch-native-cu*) instead of pytorch-native-cpu, or use device auto/cpu");
			}
			if (id < 0 || id >= gpuCount) {
				throw new InvalidDeviceException(requested,
						"device '" + requested + "' does not exist; " + gpuCount + " GPU(s) visible (gpu:0 to gpu:" + (gpuCount - 1) + ")");
			}
			return Device.gpu(id);
		}
		throw new InvalidDeviceException(requested, "device '" + requested + "' is not valid; expected auto, cpu, gpu or gpu:N");
	}

	/**
	 * Selects the compute dtype ({@code auto}, {@code float32}, {@code float16}) for {@code device}.
	 * @throws InvalidDtypeException for another value, bfloat16 included
	 */
	public static DataType selectDtype(String requested, Device device) {
		String value = requested.trim().toLowerCase(Locale.ROOT);
		return switch (value) {
			case "auto" -> device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
			case "float32", "fp32", "f32" -> DataType.FLOAT32;
			case "float16", "fp16", "f16", "half" -> DataType.FLOAT16;
			case "bfloat16", "bf16" -> throw new InvalidDtypeException(requested,
					"dtype 'bfloat16' is not supported: DJL 0.36's PyTorch engine aborts the JVM on BFLOAT16 arrays. "
							+ "Use float32 or float16; BF16 checkpoints are converted while loading");
			default -> throw new InvalidDtypeException(requested,
					"dtype '" + requested + "' is not valid; expected auto, float32 or float16");
		};
	}

}
