"""The case study's streaming approach, for bench/stream.ts: Spark Structured Streaming from Kafka to
Parquet on HDFS, partitioned by event date and hour.

Reads a topic from its earliest offset with trigger(availableNow=True) (everything there now, then
stop), parses each value with the explicit schema of ../shared/specs/events.md, flattens it into the
app_events columns (lineage included), derives event_date/event_hour from the event's own
`timestamp` (UTC), and writes Parquet partitionBy(event_date, event_hour) with its checkpoint on
HDFS. Rows that do not parse (no eventType or no timestamp) are dropped: Spark has no dead letters.

Prints one `BENCH {json}` line per phase on stdout, each with the wall clock in epoch ms, so the
caller can tell JVM and session start-up from the query itself:
  session-ready  the SparkSession is up (JVM started, Spark context created)
  query-start    just before writeStream.start()
  query-done     awaitTermination() returned (every offset read is in Parquet and checkpointed)
  verified       the Parquet rows read back (outside the timed part)

Run by bench/stream.ts through spark-submit with the spark-sql-kafka jars of bench/spark-kafka/pom.xml:
  spark-submit --master local[2] --jars ... bench/spark_kafka_to_parquet.py \
      --bootstrap 127.0.0.1:9092 --topic T --output hdfs://.../app_events --checkpoint hdfs://.../_checkpoint
"""

import argparse
import json
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

EVENT_SCHEMA = T.StructType(
    [
        T.StructField("eventType", T.StringType()),
        T.StructField("customerId", T.StringType()),
        T.StructField("productId", T.StringType()),
        T.StructField("timestamp", T.StringType()),
        T.StructField(
            "metadata",
            T.StructType([T.StructField("category", T.StringType()), T.StructField("source", T.StringType())]),
        ),
        T.StructField("quantity", T.IntegerType()),
        T.StructField("totalAmount", T.DoubleType()),
        T.StructField("paymentMethod", T.StringType()),
        T.StructField("recommendedProductId", T.StringType()),
        T.StructField("algorithm", T.StringType()),
    ]
)


def mark(phase: str, **fields: object) -> None:
    print("BENCH " + json.dumps({"phase": phase, "at_ms": int(time.time() * 1000), **fields}), flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--group-prefix", default="spark-kafka-source")
    return parser.parse_args()


def app_events(raw):
    """The Kafka records as app_events rows (specs/events.md), with the hour partition columns."""
    event = F.from_json(F.col("value").cast("string"), EVENT_SCHEMA).alias("e")
    parsed = raw.select(event, "topic", "partition", "offset")
    event_ts = F.to_timestamp(F.col("e.timestamp"), "yyyy-MM-dd'T'HH:mm:ss")
    rows = parsed.select(
        F.col("e.eventType").alias("event_type"),
        F.col("e.customerId").alias("customer_id"),
        F.col("e.productId").alias("product_id"),
        event_ts.alias("event_ts"),
        F.col("e.metadata.category").alias("category"),
        F.col("e.metadata.source").alias("source"),
        F.col("e.quantity").alias("quantity"),
        F.col("e.totalAmount").cast("decimal(10,2)").alias("total_amount"),
        F.col("e.paymentMethod").alias("payment_method"),
        F.col("e.recommendedProductId").alias("recommended_product_id"),
        F.col("e.algorithm").alias("algorithm"),
        F.col("topic").alias("kafka_topic"),
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
        F.current_timestamp().alias("ingested_at"),
    )
    valid = rows.where(F.col("event_type").isNotNull() & F.col("event_ts").isNotNull())
    return valid.withColumn("event_date", F.to_date("event_ts")).withColumn("event_hour", F.hour("event_ts"))


def main() -> None:
    args = parse_args()
    spark = SparkSession.builder.appName("qpipe-bench-spark-kafka").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    mark("session-ready")

    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.bootstrap)
        .option("subscribe", args.topic)
        .option("startingOffsets", "earliest")
        .option("groupIdPrefix", args.group_prefix)
        .load()
    )
    mark("query-start")
    query = (
        app_events(raw)
        .writeStream.format("parquet")
        .option("path", args.output)
        .option("checkpointLocation", args.checkpoint)
        .partitionBy("event_date", "event_hour")
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    progress = query.recentProgress
    mark("query-done", input_rows=sum(p["numInputRows"] for p in progress), batches=len(progress))

    rows = spark.read.parquet(args.output).count()
    mark("verified", rows=rows)
    spark.stop()


if __name__ == "__main__":
    main()
