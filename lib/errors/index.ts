export { QpipeError } from './qpipe-error';
export { ConfigError } from './config-error';
export { TimeoutError } from './timeout-error';
export { HdfsError } from './hdfs-error';
export { HiveError } from './hive-error';
export { StackError } from './stack-error';
export { UsageError } from './usage-error';
export { ContractError } from './contract-error';
