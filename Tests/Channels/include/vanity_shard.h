/* The ring stress test is not a shard: no generated header. */
