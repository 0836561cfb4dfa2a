package dev.vlcache.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheChatOptions;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.config.ModelConfig;

/**
 * {@code /actuator/vlcache}: the model, the effective configuration, what is in flight (each running request with
 * its cache size, the queue, the KV-cache pool) and the per-layer profile of the most recent requests.
 */
@Endpoint(id = "vlcache")
public class VlCacheEndpoint {

	private final ObjectProvider<VlCacheChatModel> chatModel;

	private final VlCacheProperties properties;

	private final VlCacheRecentRequests recent;

	public VlCacheEndpoint(ObjectProvider<VlCacheChatModel> chatModel, VlCacheProperties properties,
			VlCacheRecentRequests recent) {
		this.chatModel = chatModel;
		this.properties = properties;
		this.recent = recent;
	}

	@ReadOperation
	public Map<String, Object> vlcache() {
		Map<String, Object> out = new LinkedHashMap<>();
		VlCacheChatModel chat = this.chatModel.getIfAvailable();
		if (chat != null) {
			LlavaModel model = chat.getModel();
			ModelConfig config = model.config();
			Map<String, Object> m = new LinkedHashMap<>();
			m.put("name", model.name());
			m.put("folder", model.folder().toString());
			m.put("device", model.deviceName());
			m.put("dtype", model.dtypeName());
			m.put("weights", model.weightsName());
			m.put("parameters", model.parameterCount());
			m.put("decoder", config.text().family().name().toLowerCase(java.util.Locale.ROOT));
			m.put("family", config.modelType());
			m.put("visionTower", config.visionTower());
			m.put("layers", config.text().numLayers());
			// Families that tile or resize images give each image its own count.
			m.put("imageTokensPerImage", config.fixedImageTokens() != null ? config.fixedImageTokens() : "per image");
			m.put("contextLength", config.text().maxPositionEmbeddings());
			out.put("model", m);
			VlCacheChatOptions o = chat.getOptions();
			Map<String, Object> c = new LinkedHashMap<>();
			c.put("maxBatchSize", chat.getMaxBatchSize());
			c.put("kvCacheMemoryBytes", chat.kvCacheBudget());
			c.put("prefillStepTokens", chat.getPrefillStepTokens());
			c.put("acquireTimeout", this.properties.getAcquireTimeout().toString());
			c.put("prefillChunkTokens", this.properties.getPrefillChunkTokens());
			Map<String, Object> chatDefaults = new LinkedHashMap<>();
			chatDefaults.put("temperature", o.getTemperature());
			chatDefaults.put("topK", o.getTopK());
			chatDefaults.put("topP", o.getTopP());
			chatDefaults.put("maxTokens", o.getMaxTokens());
			chatDefaults.put("seed", o.getSeed());
			chatDefaults.put("stop", o.getStopSequences());
			c.put("chat", chatDefaults);
			Map<String, Object> compression = new LinkedHashMap<>();
			compression.put("policy", o.getPolicy());
			compression.put("budgetRatio", o.getBudgetRatio());
			compression.put("scoringWindow", o.getScoringWindow());
			compression.put("sparsityThreshold", o.getSparsityThreshold());
			compression.put("allocation", o.getAllocation());
			compression.put("hybridUniformShare", o.getHybridUniformShare());
			c.put("compression", compression);
			out.put("configuration", c);
			Map<String, Object> inFlight = new LinkedHashMap<>();
			inFlight.put("activeRequests", chat.activeRequests());
			inFlight.put("waitingRequests", chat.waitingRequests());
			inFlight.put("kvCacheBytes", chat.kvBytesInFlight());
			inFlight.put("kvCacheReservedBytes", chat.kvBytesReserved());
			inFlight.put("kvCacheBudgetBytes", chat.kvCacheBudget());
			inFlight.put("running", chat.runningRequests());
			out.put("inFlight", inFlight);
		}
		out.put("recentRequests", this.recent.recent());
		return out;
	}

}
