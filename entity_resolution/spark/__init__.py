"""The Spark engine (`er run --engine spark`, docs/spark.md): the per-record work on Spark, the rest shared.

session.py builds the SparkSession from the settings (and says which extra to install when pyspark is missing);
standardise.py builds the std_* tables on Spark from the same rules as the DuckDB engine; model.py renders the
saved Splink model for Spark's SQL dialect; score.py estimates the prior, the term frequencies and scores the
blocked pairs with Splink's SparkAPI. What follows scoring (identity veto, clustering with the reviewers'
constraints, entity ids, detection, exports) is the DuckDB engine's own code, fed with Spark's output as Parquet.
"""
