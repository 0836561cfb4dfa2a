package dev.vlcache.core.serving;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;

/**
 * The bytes of KV cache the running requests may hold, reserved per request. A request reserves its prompt's
 * cache before compression plus one entry per token it may generate; after compression it gives back what was
 * evicted at once, so that the next request can start. Thread-safe.
 */
public final class KvMemoryPool {

	/** Share of the machine's memory the default budget takes on the CPU (weights and activations need the rest). */
	static final double CPU_SHARE = 0.25;

	/** Share of the GPU's free memory, after the weights are loaded, the default budget takes. */
	static final double GPU_SHARE = 0.6;

	private final long budget;

	private long reserved;

	public KvMemoryPool(long budget) {
		if (budget <= 0) {
			throw new IllegalArgumentException("the KV-cache budget must be positive, got " + budget + " bytes");
		}
		this.budget = budget;
	}

	/**
	 * A sensible budget for {@code device}: a quarter of the machine's physical memory on the CPU, 60% of the free
	 * memory on a GPU (measured now, so call it after the model is loaded).
	 */
	public static long defaultBudget(Device device) {
		if (device.isGpu()) {
			MemoryUsage gpu = CudaUtils.getGpuMemory(device);
			return (long) (GPU_SHARE * Math.max(0, gpu.getMax() - gpu.getCommitted()));
		}
		if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
			return (long) (CPU_SHARE * os.getTotalMemorySize());
		}
		return (long) (CPU_SHARE * Runtime.getRuntime().maxMemory());
	}

	/** Reserves {@code bytes} if they fit beside what is reserved. */
	public synchronized boolean tryReserve(long bytes) {
		if (bytes < 0) {
			throw new IllegalArgumentException("cannot reserve " + bytes + " bytes");
		}
		if (this.reserved + bytes > this.budget) {
			return false;
		}
		this.reserved += bytes;
		return true;
	}

	/** Returns {@code bytes} of an earlier reservation. */
	public synchronized void release(long bytes) {
		if (bytes < 0 || bytes > this.reserved) {
			throw new IllegalStateException("cannot release " + bytes + " of " + this.reserved + " reserved bytes");
		}
		this.reserved -= bytes;
	}

	public long budget() {
		return this.budget;
	}

	/** Bytes reserved right now. */
	public synchronized long reserved() {
		return this.reserved;
	}

}
