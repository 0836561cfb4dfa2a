package dev.vlcache.core.checkpoint;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

/** Element types a safetensors file may declare, with their size in bytes. */
public enum TensorDType {

	F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

	private final int bytes;

	TensorDType(int bytes) {
		this.bytes = bytes;
	}

	public int bytes() {
		return this.bytes;
	}

	/** Whether the engine can load weights of this type (converted to the compute dtype). */
	public boolean isSupportedWeightType() {
		return this == F32 || this == F16 || this == BF16;
	}

	static @Nullable TensorDType parse(String name) {
		try {
			return valueOf(name.toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

}
