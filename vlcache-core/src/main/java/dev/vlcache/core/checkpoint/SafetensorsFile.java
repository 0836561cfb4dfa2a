package dev.vlcache.core.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/**
 * Reads the header of one safetensors file: an 8-byte little-endian header length, a JSON table of tensors and
 * their byte ranges, then the data. Every range is checked against the file so that a truncated or inconsistent
 * file is reported here, with its name, rather than as a crash while loading.
 */
public final class SafetensorsFile {

	/** Headers beyond this size are not plausible and are rejected before allocating them. */
	private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

	private SafetensorsFile() {
	}

	/** Lists the tensors of {@code file}, validating the header. */
	public static List<TensorEntry> readEntries(Path file) {
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
			long size = channel.size();
			if (size < 8) {
				throw new CheckpointException(
						"Malformed safetensors file " + file + ": " + size + " bytes, shorter than the 8-byte header length");
			}
			ByteBuffer lengthBuffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			readFully(channel, lengthBuffer, 0);
			long headerLength = lengthBuffer.flip().getLong();
			if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
				throw new CheckpointException("Malformed safetensors file " + file + ": header length " + headerLength
						+ " does not fit in a file of " + size + " bytes (truncated or not a safetensors file)");
			}
			ByteBuffer header = ByteBuffer.allocate((int) headerLength);
			readFully(channel, header, 8);
			String json = new String(header.array(), StandardCharsets.UTF_8);
			long dataStart = 8 + headerLength;
			return parseHeader(file, json, dataStart, size);
		}
		catch (NoSuchFileException ex) {
			throw new CheckpointException("Missing safetensors file " + file, ex);
		}
		catch (IOException ex) {
			throw new CheckpointException("Cannot read safetensors file " + file + ": " + ex.getMessage(), ex);
		}
	}

	private static List<TensorEntry> parseHeader(Path file, String json, long dataStart, long fileSize) {
		JsonObject root;
		try {
			JsonElement parsed = JsonParser.parseString(json);
			if (!parsed.isJsonObject()) {
				throw new CheckpointException("Malformed safetensors header in " + file + ": not a JSON object");
			}
			root = parsed.getAsJsonObject();
		}
		catch (JsonParseException ex) {
			throw new CheckpointException("Malformed safetensors header in " + file + ": " + ex.getMessage(), ex);
		}
		List<TensorEntry> entries = new ArrayList<>();
		for (Map.Entry<String, JsonElement> e : root.entrySet()) {
			if (e.getKey().equals("__metadata__")) {
				continue;
			}
			entries.add(parseEntry(file, e.getKey(), e.getValue(), dataStart, fileSize));
		}
		return entries;
	}

	private static TensorEntry parseEntry(Path file, String name, JsonElement value, long dataStart, long fileSize) {
		try {
			JsonObject info = value.getAsJsonObject();
			String dtypeName = info.get("dtype").getAsString();
			TensorDType dtype = TensorDType.parse(dtypeName);
			if (dtype == null) {
				throw new CheckpointException("Tensor '" + name + "' in " + file + " has unknown dtype " + dtypeName);
			}
			JsonArray shapeJson = info.getAsJsonArray("shape");
			long[] shape = new long[shapeJson.size()];
			for (int i = 0; i < shape.length; i++) {
				shape[i] = shapeJson.get(i).getAsLong();
				if (shape[i] < 0) {
					throw new CheckpointException("Tensor '" + name + "' in " + file + " has a negative dimension");
				}
			}
			JsonArray offsets = info.getAsJsonArray("data_offsets");
			long begin = offsets.get(0).getAsLong();
			long end = offsets.get(1).getAsLong();
			long expectedBytes = Arrays.stream(shape).reduce(1, (a, b) -> a * b) * dtype.bytes();
			if (end - begin != expectedBytes || begin < 0) {
				throw new CheckpointException("Tensor '" + name + "' in " + file + " has data_offsets [" + begin + ", "
						+ end + "] but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expectedBytes
						+ " bytes");
			}
			if (dataStart + end > fileSize) {
				throw new CheckpointException("Truncated safetensors file " + file + ": tensor '" + name + "' ends at byte "
						+ (dataStart + end) + " but the file has " + fileSize + " bytes");
			}
			return new TensorEntry(name, file, dtype, shape, dataStart + begin, expectedBytes);
		}
		catch (RuntimeException ex) {
			if (ex instanceof CheckpointException ce) {
				throw ce;
			}
			throw new CheckpointException(
					"Malformed safetensors header in " + file + ": bad entry for tensor '" + name + "' (" + ex + ")", ex);
		}
	}

	/** Reads an F32 tensor into a Java array (for reference data and tests; weights go through WeightLoader). */
	public static float[] readFloats(TensorEntry entry) {
		if (entry.dtype() != TensorDType.F32) {
			throw new CheckpointException("Tensor '" + entry.name() + "' in " + entry.file() + " is " + entry.dtype()
					+ ", expected F32");
		}
		try (FileChannel channel = FileChannel.open(entry.file(), StandardOpenOption.READ)) {
			ByteBuffer buffer = ByteBuffer.allocate((int) entry.length()).order(ByteOrder.LITTLE_ENDIAN);
			readFully(channel, buffer, entry.offset());
			buffer.flip();
			float[] out = new float[(int) entry.elementCount()];
			buffer.asFloatBuffer().get(out);
			return out;
		}
		catch (IOException ex) {
			throw new CheckpointException("Cannot read tensor '" + entry.name() + "' from " + entry.file(), ex);
		}
	}

	private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
		long pos = position;
		while (buffer.hasRemaining()) {
			int n = channel.read(buffer, pos);
			if (n < 0) {
				throw new IOException("unexpected end of file");
			}
			pos += n;
		}
	}

}
