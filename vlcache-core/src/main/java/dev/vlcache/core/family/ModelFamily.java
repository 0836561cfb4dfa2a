package dev.vlcache.core.family;

import java.nio.file.Path;
import java.util.Set;

import com.google.gson.JsonObject;

/**
 * A family of vision-language checkpoints, chosen by {@code model_type}. A new family is a package with an
 * implementation of this interface, listed in {@code META-INF/services/dev.vlcache.core.family.ModelFamily}.
 */
public interface ModelFamily {

	/** The {@code model_type} values of {@code config.json} this family loads. */
	Set<String> modelTypes();

	/**
	 * Reads a checkpoint folder's configuration ({@code config} is its parsed {@code config.json}).
	 * @throws dev.vlcache.core.checkpoint.CheckpointException for a missing file or an option the family does not
	 * support, naming it
	 */
	FamilyCheckpoint open(Path folder, JsonObject config);

}
