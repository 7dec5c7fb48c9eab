#include "connectors/kafka/kafka_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace kpipe {

std::string redact_kafka_value(const std::string& key, const std::string& value,
                               std::string message) {
  if (value.empty() || !looks_secret_key(key)) return message;
  static const std::string kMask = "******";
  for (size_t pos = message.find(value); pos != std::string::npos;
       pos = message.find(value, pos + kMask.size())) {
    message.replace(pos, value.size(), kMask);
  }
  return message;
}

Status kafka_conf_set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) ==
      RD_KAFKA_CONF_OK) {
    return Status::Ok();
  }
  return Status::Invalid(redact_kafka_value(key, value, errstr));
}

namespace {

void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // librdkafka uses syslog levels. Its errors (a refused connection, a broker going down) are
  // retried internally; whether they matter surfaces as a delivery failure, so they are warnings.
  spdlog::level::level_enum spd = spdlog::level::debug;
  if (level <= 4) {
    spd = spdlog::level::warn;
  } else if (level <= 6) {
    spd = spdlog::level::info;
  }
  spdlog::log(spd, "librdkafka {} {}: {}", rd_kafka_name(rk), facility, message);
}

}  // namespace

void route_kafka_logs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, log_to_spdlog);
}

Status build_kafka_conf(const Config& config, const KafkaProperties& defaults, KafkaConf* out) {
  KafkaConf conf(rd_kafka_conf_new());
  for (const auto& [key, value] : defaults) {
    Status st = kafka_conf_set(conf.get(), key, value);
    if (!st.ok()) return st.with_context(config.scope + ": default " + key);
  }
  for (const auto& [key, value] : config.passthrough) {
    Status st = kafka_conf_set(conf.get(), key, value);
    if (!st.ok()) {
      std::string message = st.message();
      // librdkafka often names only the property; say what was written, unless it is a secret.
      if (!looks_secret_key(key) && message.find(value) == std::string::npos) {
        message += " (got '" + value + "')";
      }
      return config.invalid(key, message);
    }
  }
  route_kafka_logs(conf.get());
  *out = std::move(conf);
  return Status::Ok();
}

Status new_kafka_client(rd_kafka_type_t type, const Config& config, KafkaConf* conf,
                        KafkaHandle* out) {
  char errstr[512];
  out->reset(rd_kafka_new(type, conf->get(), errstr, sizeof(errstr)));
  if (!*out) {
    std::string message = errstr;
    for (const auto& [key, value] : config.passthrough)
      message = redact_kafka_value(key, value, message);
    return Status::Invalid(std::string("creating the Kafka ") +
                           (type == RD_KAFKA_PRODUCER ? "producer" : "consumer") + ": " + message);
  }
  conf->release();  // rd_kafka_new() took ownership
  return Status::Ok();
}

Status check_kafka_client(rd_kafka_type_t type, const Config& config,
                          const KafkaProperties& defaults) {
  KafkaConf conf;
  KPIPE_RETURN_IF_ERROR(build_kafka_conf(config, defaults, &conf));
  // No logging: a client without brokers says so, which is not news here; failures come back
  // from rd_kafka_new() itself.
  rd_kafka_conf_set_log_cb(conf.get(), nullptr);
  KafkaHandle client;
  return new_kafka_client(type, config, &conf, &client).with_context(config.scope);
}

std::string kafka_conf_get(const rd_kafka_conf_t* conf, const std::string& key) {
  size_t size = 0;
  if (rd_kafka_conf_get(conf, key.c_str(), nullptr, &size) != RD_KAFKA_CONF_OK || size == 0) {
    return "";
  }
  std::string value(size, '\0');  // size counts the terminating NUL
  if (rd_kafka_conf_get(conf, key.c_str(), value.data(), &size) != RD_KAFKA_CONF_OK) return "";
  value.resize(size - 1);
  return value;
}

}  // namespace kpipe
