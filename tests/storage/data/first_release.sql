-- A database written by the first released schema (schema_version 1, before named migrations).
BEGIN TRANSACTION;
CREATE TABLE dataset (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	format VARCHAR NOT NULL, 
	source_path VARCHAR, 
	templates JSON, 
	options JSON, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "dataset" VALUES(1,'toy','unified',NULL,'null','null','2026-12-02 00:11:52.463200');
CREATE TABLE endpoint (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	base_url VARCHAR NOT NULL, 
	model VARCHAR NOT NULL, 
	api_key_env VARCHAR, 
	kind VARCHAR NOT NULL, 
	concurrency INTEGER NOT NULL, 
	timeout FLOAT NOT NULL, 
	retries INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "endpoint" VALUES(1,'gpt','http://127.0.0.1:9/v1','m','OPENAI_API_KEY','openai',8,60.0,4,'2026-12-02 00:11:52.693912');
CREATE TABLE exportrecord (
	id INTEGER NOT NULL, 
	selection_name VARCHAR, 
	format VARCHAR NOT NULL, 
	path VARCHAR NOT NULL, 
	rows INTEGER NOT NULL, 
	sha256 VARCHAR NOT NULL, 
	manifest JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "exportrecord" VALUES(1,'sel','dpo','out.jsonl',1,'0000000000000000000000000000000000000000000000000000000000000000','{"rows": 1}','2026-12-02 00:11:52.702080');
CREATE TABLE interaction (
	id INTEGER NOT NULL, 
	dataset_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	item_id INTEGER NOT NULL, 
	timestamp INTEGER NOT NULL, 
	features JSON, 
	impressions JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id), 
	FOREIGN KEY(user_id) REFERENCES user (id), 
	FOREIGN KEY(item_id) REFERENCES item (id)
);
INSERT INTO "interaction" VALUES(1,1,1,1,1700000000,'null','null');
INSERT INTO "interaction" VALUES(2,1,2,2,1700000001,'null','null');
INSERT INTO "interaction" VALUES(3,1,3,3,1700000002,'null','null');
INSERT INTO "interaction" VALUES(4,1,1,4,1700000003,'null','null');
INSERT INTO "interaction" VALUES(5,1,2,2,1700000004,'null','null');
INSERT INTO "interaction" VALUES(6,1,3,2,1700000005,'null','null');
INSERT INTO "interaction" VALUES(7,1,1,1,1700000006,'null','null');
INSERT INTO "interaction" VALUES(8,1,2,4,1700000007,'null','null');
CREATE TABLE item (
	id INTEGER NOT NULL, 
	dataset_id INTEGER NOT NULL, 
	external_id VARCHAR NOT NULL, 
	title VARCHAR NOT NULL, 
	release_ts INTEGER, 
	features JSON, 
	PRIMARY KEY (id), 
	UNIQUE (dataset_id, external_id), 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id)
);
INSERT INTO "item" VALUES(1,1,'i0','Item 0',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(2,1,'i1','Item 1',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(3,1,'i2','Item 2',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(4,1,'i3','Item 3',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(5,1,'i4','Item 4',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(6,1,'i5','Item 5',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(7,1,'i6','Item 6',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(8,1,'i7','Item 7',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(9,1,'i8','Item 8',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(10,1,'i9','Item 9',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(11,1,'i10','Item 10',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(12,1,'i11','Item 11',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(13,1,'i12','Item 12',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(14,1,'i13','Item 13',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(15,1,'i14','Item 14',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(16,1,'i15','Item 15',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(17,1,'i16','Item 16',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(18,1,'i17','Item 17',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(19,1,'i18','Item 18',NULL,'{"genre": "drama"}');
INSERT INTO "item" VALUES(20,1,'i19','Item 19',NULL,'{"genre": "drama"}');
CREATE TABLE llmcache (
	"key" VARCHAR NOT NULL, 
	response JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "llmcache" VALUES('k','{"content": "hi"}','2026-12-02 00:11:52.696361');
CREATE TABLE llmcall (
	id INTEGER NOT NULL, 
	run_id INTEGER, 
	endpoint VARCHAR NOT NULL, 
	model VARCHAR NOT NULL, 
	params JSON, 
	prompt_hash VARCHAR NOT NULL, 
	cache_key VARCHAR NOT NULL, 
	item_key VARCHAR, 
	scene_id INTEGER, 
	stage VARCHAR, 
	prompt_tokens INTEGER, 
	completion_tokens INTEGER, 
	latency_ms FLOAT, 
	status VARCHAR NOT NULL, 
	error VARCHAR, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES run (id), 
	FOREIGN KEY(scene_id) REFERENCES scene (id)
);
INSERT INTO "llmcall" VALUES(1,2,'gpt','m','{"temperature": 1.0}','p','k','rationale:1:strong:0',1,'rationale',10,5,12.5,'ok',NULL,'2026-12-02 00:11:52.696098');
CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE prediction (
	id INTEGER NOT NULL, 
	rationale_id INTEGER NOT NULL, 
	scene_id INTEGER NOT NULL, 
	role VARCHAR NOT NULL, 
	rationale_version INTEGER NOT NULL, 
	probs BLOB NOT NULL, 
	estimated BOOLEAN NOT NULL, 
	behavior_index INTEGER NOT NULL, 
	endpoint VARCHAR, 
	model VARCHAR, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (rationale_id), 
	FOREIGN KEY(rationale_id) REFERENCES rationale (id), 
	FOREIGN KEY(scene_id) REFERENCES scene (id)
);
INSERT INTO "prediction" VALUES(1,1,1,'strong',1,X'333333333333E33F9A9999999999C93F9A9999999999C93F',0,0,NULL,NULL,'2026-12-02 00:11:52.502042');
INSERT INTO "prediction" VALUES(2,2,1,'strong',1,X'333333333333E33F9A9999999999C93F9A9999999999C93F',0,0,NULL,NULL,'2026-12-02 00:11:52.510167');
INSERT INTO "prediction" VALUES(3,3,1,'weak',1,X'000000000000E03F000000000000D03F000000000000D03F',0,0,NULL,NULL,'2026-12-02 00:11:52.513280');
INSERT INTO "prediction" VALUES(4,4,1,'weak',1,X'000000000000E03F000000000000D03F000000000000D03F',0,0,NULL,NULL,'2026-12-02 00:11:52.516080');
INSERT INTO "prediction" VALUES(5,5,2,'strong',1,X'B81E85EB51B8BE3F7B14AE47E17AE43FB81E85EB51B8BE3FB81E85EB51B8BE3F',0,1,NULL,NULL,'2026-12-02 00:11:52.523874');
INSERT INTO "prediction" VALUES(6,6,2,'strong',1,X'B81E85EB51B8BE3F7B14AE47E17AE43FB81E85EB51B8BE3FB81E85EB51B8BE3F',0,1,NULL,NULL,'2026-12-02 00:11:52.526169');
INSERT INTO "prediction" VALUES(7,7,2,'weak',1,X'555555555555C53F555555555555C53F000000000000E03F555555555555C53F',0,2,NULL,NULL,'2026-12-02 00:11:52.528308');
INSERT INTO "prediction" VALUES(8,8,2,'weak',1,X'555555555555C53F555555555555C53F000000000000E03F555555555555C53F',0,2,NULL,NULL,'2026-12-02 00:11:52.530369');
INSERT INTO "prediction" VALUES(9,9,3,'strong',1,X'7C14AE47E17AC43F7C14AE47E17AC43FC2F5285C8FC2E53F',0,2,NULL,NULL,'2026-12-02 00:11:52.536373');
INSERT INTO "prediction" VALUES(10,10,3,'strong',1,X'7C14AE47E17AC43F7C14AE47E17AC43FC2F5285C8FC2E53F',0,2,NULL,NULL,'2026-12-02 00:11:52.538532');
INSERT INTO "prediction" VALUES(11,11,3,'weak',1,X'000000000000E03F000000000000D03F000000000000D03F',0,0,NULL,NULL,'2026-12-02 00:11:52.540750');
INSERT INTO "prediction" VALUES(12,12,3,'weak',1,X'000000000000E03F000000000000D03F000000000000D03F',0,0,NULL,NULL,'2026-12-02 00:11:52.542868');
INSERT INTO "prediction" VALUES(13,13,4,'strong',1,X'0AD7A3703D0AE73FE5174B7EB1E4B73FE5174B7EB1E4B73FE5174B7EB1E4B73F',0,0,NULL,NULL,'2026-12-02 00:11:52.549159');
INSERT INTO "prediction" VALUES(14,14,4,'strong',1,X'0AD7A3703D0AE73FE5174B7EB1E4B73FE5174B7EB1E4B73FE5174B7EB1E4B73F',0,0,NULL,NULL,'2026-12-02 00:11:52.551371');
INSERT INTO "prediction" VALUES(15,15,4,'weak',1,X'000000000000E03F555555555555C53F555555555555C53F555555555555C53F',0,0,NULL,NULL,'2026-12-02 00:11:52.553468');
INSERT INTO "prediction" VALUES(16,16,4,'weak',1,X'000000000000E03F555555555555C53F555555555555C53F555555555555C53F',0,0,NULL,NULL,'2026-12-02 00:11:52.555575');
INSERT INTO "prediction" VALUES(17,17,5,'strong',1,X'B81E85EB51B8BE3F52B81E85EB51E83FB81E85EB51B8BE3F',0,1,NULL,NULL,'2026-12-02 00:11:52.561820');
INSERT INTO "prediction" VALUES(18,18,5,'strong',1,X'B81E85EB51B8BE3F52B81E85EB51E83FB81E85EB51B8BE3F',0,1,NULL,NULL,'2026-12-02 00:11:52.563982');
INSERT INTO "prediction" VALUES(19,19,5,'weak',1,X'000000000000D03F000000000000E03F000000000000D03F',0,1,NULL,NULL,'2026-12-02 00:11:52.566004');
INSERT INTO "prediction" VALUES(20,20,5,'weak',1,X'000000000000D03F000000000000E03F000000000000D03F',0,1,NULL,NULL,'2026-12-02 00:11:52.568121');
INSERT INTO "prediction" VALUES(21,21,6,'strong',1,X'101111111111B13F9A9999999999E93F101111111111B13F101111111111B13F',0,1,NULL,NULL,'2026-12-02 00:11:52.574213');
INSERT INTO "prediction" VALUES(22,22,6,'strong',1,X'101111111111B13F9A9999999999E93F101111111111B13F101111111111B13F',0,1,NULL,NULL,'2026-12-02 00:11:52.576389');
INSERT INTO "prediction" VALUES(23,23,6,'weak',1,X'555555555555C53F555555555555C53F000000000000E03F555555555555C53F',0,2,NULL,NULL,'2026-12-02 00:11:52.578543');
INSERT INTO "prediction" VALUES(24,24,6,'weak',1,X'555555555555C53F555555555555C53F000000000000E03F555555555555C53F',0,2,NULL,NULL,'2026-12-02 00:11:52.580647');
INSERT INTO "prediction" VALUES(25,25,7,'strong',1,X'E17A14AE47E1EA3F7C14AE47E17AB43F7C14AE47E17AB43F',0,0,NULL,NULL,'2026-12-02 00:11:52.587167');
INSERT INTO "prediction" VALUES(26,26,7,'strong',1,X'E17A14AE47E1EA3F7C14AE47E17AB43F7C14AE47E17AB43F',0,0,NULL,NULL,'2026-12-02 00:11:52.589524');
INSERT INTO "prediction" VALUES(27,27,7,'weak',1,X'000000000000D03F000000000000E03F000000000000D03F',0,1,NULL,NULL,'2026-12-02 00:11:52.591824');
INSERT INTO "prediction" VALUES(28,28,7,'weak',1,X'000000000000D03F000000000000E03F000000000000D03F',0,1,NULL,NULL,'2026-12-02 00:11:52.594040');
INSERT INTO "prediction" VALUES(29,29,8,'strong',1,X'295C8FC2F528EC3F7B14AE47E17AA43F7B14AE47E17AA43F7B14AE47E17AA43F',0,0,NULL,NULL,'2026-12-02 00:11:52.600326');
INSERT INTO "prediction" VALUES(30,30,8,'strong',1,X'295C8FC2F528EC3F7B14AE47E17AA43F7B14AE47E17AA43F7B14AE47E17AA43F',0,0,NULL,NULL,'2026-12-02 00:11:52.602489');
INSERT INTO "prediction" VALUES(31,31,8,'weak',1,X'000000000000E03F555555555555C53F555555555555C53F555555555555C53F',0,0,NULL,NULL,'2026-12-02 00:11:52.604658');
INSERT INTO "prediction" VALUES(32,32,8,'weak',1,X'000000000000E03F555555555555C53F555555555555C53F555555555555C53F',0,0,NULL,NULL,'2026-12-02 00:11:52.606652');
CREATE TABLE rationale (
	id INTEGER NOT NULL, 
	scene_id INTEGER NOT NULL, 
	role VARCHAR NOT NULL, 
	sample_index INTEGER NOT NULL, 
	endpoint VARCHAR, 
	model VARCHAR, 
	text VARCHAR NOT NULL, 
	version INTEGER NOT NULL, 
	stimulus VARCHAR, 
	stimulus_factors JSON, 
	knowledge VARCHAR, 
	knowledge_factors JSON, 
	evaluation VARCHAR, 
	style VARCHAR, 
	behavior VARCHAR, 
	problems JSON, 
	source VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (scene_id, role, sample_index), 
	FOREIGN KEY(scene_id) REFERENCES scene (id)
);
INSERT INTO "rationale" VALUES(1,1,'strong',0,'test','m','I was curious.
Behavior: [A]',2,NULL,'[]',NULL,'[]',NULL,NULL,'A','["missing stage: Stimulus", "missing stimulus factors", "missing stage: Knowledge", "missing knowledge factors", "missing stage: Evaluation", "missing evaluation style"]','native','2026-12-02 00:11:52.496605','2026-12-02 00:11:52.684886');
INSERT INTO "rationale" VALUES(2,1,'strong',1,'test','m','strong rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.508434','2026-12-02 00:11:52.508522');
INSERT INTO "rationale" VALUES(3,1,'weak',0,'test','m','weak rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.511865','2026-12-02 00:11:52.511897');
INSERT INTO "rationale" VALUES(4,1,'weak',1,'test','m','weak rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.514735','2026-12-02 00:11:52.514766');
INSERT INTO "rationale" VALUES(5,2,'strong',0,'test','m','strong rationale 0.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.522539','2026-12-02 00:11:52.522578');
INSERT INTO "rationale" VALUES(6,2,'strong',1,'test','m','strong rationale 1.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.525148','2026-12-02 00:11:52.525172');
INSERT INTO "rationale" VALUES(7,2,'weak',0,'test','m','weak rationale 0.
Behavior: [C]',1,NULL,'null',NULL,'null',NULL,NULL,'C','[]','native','2026-12-02 00:11:52.527311','2026-12-02 00:11:52.527337');
INSERT INTO "rationale" VALUES(8,2,'weak',1,'test','m','weak rationale 1.
Behavior: [C]',1,NULL,'null',NULL,'null',NULL,NULL,'C','[]','native','2026-12-02 00:11:52.529406','2026-12-02 00:11:52.529432');
INSERT INTO "rationale" VALUES(9,3,'strong',0,'test','m','strong rationale 0.
Behavior: [C]',1,NULL,'null',NULL,'null',NULL,NULL,'C','[]','native','2026-12-02 00:11:52.535296','2026-12-02 00:11:52.535322');
INSERT INTO "rationale" VALUES(10,3,'strong',1,'test','m','strong rationale 1.
Behavior: [C]',1,NULL,'null',NULL,'null',NULL,NULL,'C','[]','native','2026-12-02 00:11:52.537530','2026-12-02 00:11:52.537555');
INSERT INTO "rationale" VALUES(11,3,'weak',0,'test','m','weak rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.539752','2026-12-02 00:11:52.539778');
INSERT INTO "rationale" VALUES(12,3,'weak',1,'test','m','weak rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.541841','2026-12-02 00:11:52.541865');
INSERT INTO "rationale" VALUES(13,4,'strong',0,'test','m','strong rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.548032','2026-12-02 00:11:52.548059');
INSERT INTO "rationale" VALUES(14,4,'strong',1,'test','m','strong rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.550362','2026-12-02 00:11:52.550386');
INSERT INTO "rationale" VALUES(15,4,'weak',0,'test','m','weak rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.552501','2026-12-02 00:11:52.552525');
INSERT INTO "rationale" VALUES(16,4,'weak',1,'test','m','weak rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.554561','2026-12-02 00:11:52.554586');
INSERT INTO "rationale" VALUES(17,5,'strong',0,'test','m','strong rationale 0.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.560697','2026-12-02 00:11:52.560723');
INSERT INTO "rationale" VALUES(18,5,'strong',1,'test','m','strong rationale 1.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.562978','2026-12-02 00:11:52.563002');
INSERT INTO "rationale" VALUES(19,5,'weak',0,'test','m','weak rationale 0.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.565056','2026-12-02 00:11:52.565079');
INSERT INTO "rationale" VALUES(20,5,'weak',1,'test','m','weak rationale 1.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.567119','2026-12-02 00:11:52.567143');
INSERT INTO "rationale" VALUES(21,6,'strong',0,'test','m','strong rationale 0.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.573143','2026-12-02 00:11:52.573168');
INSERT INTO "rationale" VALUES(22,6,'strong',1,'test','m','strong rationale 1.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.575384','2026-12-02 00:11:52.575407');
INSERT INTO "rationale" VALUES(23,6,'weak',0,'test','m','weak rationale 0.
Behavior: [C]',1,NULL,'null',NULL,'null',NULL,NULL,'C','[]','native','2026-12-02 00:11:52.577535','2026-12-02 00:11:52.577559');
INSERT INTO "rationale" VALUES(24,6,'weak',1,'test','m','weak rationale 1.
Behavior: [C]',1,NULL,'null',NULL,'null',NULL,NULL,'C','[]','native','2026-12-02 00:11:52.579674','2026-12-02 00:11:52.579699');
INSERT INTO "rationale" VALUES(25,7,'strong',0,'test','m','strong rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.585937','2026-12-02 00:11:52.585966');
INSERT INTO "rationale" VALUES(26,7,'strong',1,'test','m','strong rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.588408','2026-12-02 00:11:52.588435');
INSERT INTO "rationale" VALUES(27,7,'weak',0,'test','m','weak rationale 0.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.590702','2026-12-02 00:11:52.590730');
INSERT INTO "rationale" VALUES(28,7,'weak',1,'test','m','weak rationale 1.
Behavior: [B]',1,NULL,'null',NULL,'null',NULL,NULL,'B','[]','native','2026-12-02 00:11:52.592995','2026-12-02 00:11:52.593019');
INSERT INTO "rationale" VALUES(29,8,'strong',0,'test','m','strong rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.599172','2026-12-02 00:11:52.599197');
INSERT INTO "rationale" VALUES(30,8,'strong',1,'test','m','strong rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.601488','2026-12-02 00:11:52.601514');
INSERT INTO "rationale" VALUES(31,8,'weak',0,'test','m','weak rationale 0.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.603687','2026-12-02 00:11:52.603711');
INSERT INTO "rationale" VALUES(32,8,'weak',1,'test','m','weak rationale 1.
Behavior: [A]',1,NULL,'null',NULL,'null',NULL,NULL,'A','[]','native','2026-12-02 00:11:52.605720','2026-12-02 00:11:52.605745');
CREATE TABLE rationaleversion (
	id INTEGER NOT NULL, 
	rationale_id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	text VARCHAR NOT NULL, 
	author VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (rationale_id, version), 
	FOREIGN KEY(rationale_id) REFERENCES rationale (id)
);
INSERT INTO "rationaleversion" VALUES(1,1,1,'strong rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.501572');
INSERT INTO "rationaleversion" VALUES(2,2,1,'strong rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.509840');
INSERT INTO "rationaleversion" VALUES(3,3,1,'weak rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.512990');
INSERT INTO "rationaleversion" VALUES(4,4,1,'weak rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.515812');
INSERT INTO "rationaleversion" VALUES(5,5,1,'strong rationale 0.
Behavior: [B]','m','2026-12-02 00:11:52.523610');
INSERT INTO "rationaleversion" VALUES(6,6,1,'strong rationale 1.
Behavior: [B]','m','2026-12-02 00:11:52.525965');
INSERT INTO "rationaleversion" VALUES(7,7,1,'weak rationale 0.
Behavior: [C]','m','2026-12-02 00:11:52.528098');
INSERT INTO "rationaleversion" VALUES(8,8,1,'weak rationale 1.
Behavior: [C]','m','2026-12-02 00:11:52.530169');
INSERT INTO "rationaleversion" VALUES(9,9,1,'strong rationale 0.
Behavior: [C]','m','2026-12-02 00:11:52.536139');
INSERT INTO "rationaleversion" VALUES(10,10,1,'strong rationale 1.
Behavior: [C]','m','2026-12-02 00:11:52.538286');
INSERT INTO "rationaleversion" VALUES(11,11,1,'weak rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.540546');
INSERT INTO "rationaleversion" VALUES(12,12,1,'weak rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.542619');
INSERT INTO "rationaleversion" VALUES(13,13,1,'strong rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.548908');
INSERT INTO "rationaleversion" VALUES(14,14,1,'strong rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.551166');
INSERT INTO "rationaleversion" VALUES(15,15,1,'weak rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.553246');
INSERT INTO "rationaleversion" VALUES(16,16,1,'weak rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.555349');
INSERT INTO "rationaleversion" VALUES(17,17,1,'strong rationale 0.
Behavior: [B]','m','2026-12-02 00:11:52.561577');
INSERT INTO "rationaleversion" VALUES(18,18,1,'strong rationale 1.
Behavior: [B]','m','2026-12-02 00:11:52.563774');
INSERT INTO "rationaleversion" VALUES(19,19,1,'weak rationale 0.
Behavior: [B]','m','2026-12-02 00:11:52.565814');
INSERT INTO "rationaleversion" VALUES(20,20,1,'weak rationale 1.
Behavior: [B]','m','2026-12-02 00:11:52.567921');
INSERT INTO "rationaleversion" VALUES(21,21,1,'strong rationale 0.
Behavior: [B]','m','2026-12-02 00:11:52.573980');
INSERT INTO "rationaleversion" VALUES(22,22,1,'strong rationale 1.
Behavior: [B]','m','2026-12-02 00:11:52.576184');
INSERT INTO "rationaleversion" VALUES(23,23,1,'weak rationale 0.
Behavior: [C]','m','2026-12-02 00:11:52.578305');
INSERT INTO "rationaleversion" VALUES(24,24,1,'weak rationale 1.
Behavior: [C]','m','2026-12-02 00:11:52.580408');
INSERT INTO "rationaleversion" VALUES(25,25,1,'strong rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.586893');
INSERT INTO "rationaleversion" VALUES(26,26,1,'strong rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.589257');
INSERT INTO "rationaleversion" VALUES(27,27,1,'weak rationale 0.
Behavior: [B]','m','2026-12-02 00:11:52.591591');
INSERT INTO "rationaleversion" VALUES(28,28,1,'weak rationale 1.
Behavior: [B]','m','2026-12-02 00:11:52.593826');
INSERT INTO "rationaleversion" VALUES(29,29,1,'strong rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.600086');
INSERT INTO "rationaleversion" VALUES(30,30,1,'strong rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.602254');
INSERT INTO "rationaleversion" VALUES(31,31,1,'weak rationale 0.
Behavior: [A]','m','2026-12-02 00:11:52.604421');
INSERT INTO "rationaleversion" VALUES(32,32,1,'weak rationale 1.
Behavior: [A]','m','2026-12-02 00:11:52.606428');
INSERT INTO "rationaleversion" VALUES(33,1,2,'I was curious.
Behavior: [A]','alice','2026-12-02 00:11:52.684886');
CREATE TABLE review (
	id INTEGER NOT NULL, 
	scene_id INTEGER NOT NULL, 
	status VARCHAR NOT NULL, 
	reviewer VARCHAR, 
	note VARCHAR, 
	version INTEGER NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (scene_id), 
	FOREIGN KEY(scene_id) REFERENCES scene (id)
);
INSERT INTO "review" VALUES(1,1,'approved','alice','fine',1,'2026-12-02 00:11:52.692298');
CREATE TABLE run (
	id INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	dataset_id INTEGER, 
	params JSON, 
	status VARCHAR NOT NULL, 
	total INTEGER NOT NULL, 
	done INTEGER NOT NULL, 
	failed INTEGER NOT NULL, 
	message VARCHAR, 
	pid INTEGER, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id)
);
INSERT INTO "run" VALUES(1,'score',NULL,'{}','done',3,3,0,'scored 8 scenes from 32 predictions in 0.1 s; not scored: 0 with strong predictions only, 0 with weak only, 0 without predictions',5625,'2026-12-02 00:11:52.607854','2026-12-02 00:11:52.658327');
INSERT INTO "run" VALUES(2,'rationales',NULL,'null','done',2,2,0,NULL,NULL,'2026-12-02 00:11:52.694165',NULL);
CREATE TABLE scene (
	id INTEGER NOT NULL, 
	dataset_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	item_id INTEGER NOT NULL, 
	interaction_id INTEGER, 
	timestamp INTEGER NOT NULL, 
	split VARCHAR NOT NULL, 
	profile VARCHAR NOT NULL, 
	history JSON NOT NULL, 
	history_item_ids JSON NOT NULL, 
	exposure_item_ids JSON NOT NULL, 
	options JSON NOT NULL, 
	option_sources JSON NOT NULL, 
	item_pos INTEGER NOT NULL, 
	choice_cnt INTEGER NOT NULL, 
	seed INTEGER, 
	source VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id), 
	FOREIGN KEY(user_id) REFERENCES user (id), 
	FOREIGN KEY(item_id) REFERENCES item (id), 
	UNIQUE (interaction_id), 
	FOREIGN KEY(interaction_id) REFERENCES interaction (id)
);
INSERT INTO "scene" VALUES(1,1,1,1,1,1700000000,'train','User 0 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3]','["Item 0", "Item 1", "Item 2"]','["target", "random", "random"]',0,3,0,'native','2026-12-02 00:11:52.491252');
INSERT INTO "scene" VALUES(2,1,2,2,2,1700000001,'train','User 1 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3, 4]','["Item 0", "Item 1", "Item 2", "Item 3"]','["random", "target", "random", "random"]',1,4,0,'native','2026-12-02 00:11:52.520997');
INSERT INTO "scene" VALUES(3,1,3,3,3,1700000002,'train','User 2 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3]','["Item 0", "Item 1", "Item 2"]','["random", "random", "target"]',2,3,0,'native','2026-12-02 00:11:52.534111');
INSERT INTO "scene" VALUES(4,1,1,4,4,1700000003,'train','User 3 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3, 4]','["Item 0", "Item 1", "Item 2", "Item 3"]','["random", "random", "random", "target"]',3,4,0,'native','2026-12-02 00:11:52.546730');
INSERT INTO "scene" VALUES(5,1,2,2,5,1700000004,'train','User 4 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3]','["Item 0", "Item 1", "Item 2"]','["random", "target", "random"]',1,3,0,'native','2026-12-02 00:11:52.559435');
INSERT INTO "scene" VALUES(6,1,3,2,6,1700000005,'train','User 5 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3, 4]','["Item 0", "Item 1", "Item 2", "Item 3"]','["random", "target", "random", "random"]',1,4,0,'native','2026-12-02 00:11:52.571998');
INSERT INTO "scene" VALUES(7,1,1,1,7,1700000006,'train','User 6 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3]','["Item 0", "Item 1", "Item 2"]','["target", "random", "random"]',0,3,0,'native','2026-12-02 00:11:52.584598');
INSERT INTO "scene" VALUES(8,1,2,4,8,1700000007,'train','User 7 likes drama.','["Watched Item 9"]','[10]','[1, 2, 3, 4]','["Item 0", "Item 1", "Item 2", "Item 3"]','["random", "random", "random", "target"]',3,4,0,'native','2026-12-02 00:11:52.597888');
CREATE TABLE score (
	scene_id INTEGER NOT NULL, 
	n_strong INTEGER NOT NULL, 
	n_weak INTEGER NOT NULL, 
	"strong_E" FLOAT NOT NULL, 
	"strong_T" FLOAT NOT NULL, 
	"strong_D" FLOAT NOT NULL, 
	strong_hit FLOAT NOT NULL, 
	strong_logloss FLOAT NOT NULL, 
	"weak_E" FLOAT NOT NULL, 
	"weak_T" FLOAT NOT NULL, 
	"weak_D" FLOAT NOT NULL, 
	weak_hit FLOAT NOT NULL, 
	weak_logloss FLOAT NOT NULL, 
	diff_model FLOAT NOT NULL, 
	diff_total FLOAT NOT NULL, 
	diff_data FLOAT NOT NULL, 
	diff_hit FLOAT NOT NULL, 
	chosen_rationale_id INTEGER, 
	rejected_rationale_id INTEGER, 
	computed_at DATETIME NOT NULL, 
	PRIMARY KEY (scene_id), 
	FOREIGN KEY(scene_id) REFERENCES scene (id), 
	FOREIGN KEY(chosen_rationale_id) REFERENCES rationale (id) ON DELETE SET NULL, 
	FOREIGN KEY(rejected_rationale_id) REFERENCES rationale (id) ON DELETE SET NULL
);
INSERT INTO "score" VALUES(1,2,2,1.37095059445466893599e+00,1.37095059445466871395e+00,-2.22044604925031308084e-16,1.0,7.36965594166206217074e-01,1.5,1.5,0.0,1.0,1.0,1.29049405545331064004e-01,1.29049405545331286049e-01,2.22044604925031308084e-16,0.0,1,NULL,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(2,2,2,1.51326968951510854033e+00,1.51326968951510831828e+00,-2.22044604925031308084e-16,1.0,6.43856189774724696484e-01,1.79248125036057781578e+00,1.79248125036057781578e+00,0.0,0.0,2.58496250072115607565e+00,2.79211560845469275449e-01,2.79211560845469497493e-01,2.22044604925031308084e-16,-1.0,5,7,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(3,2,2,1.2243814577244940267e+00,1.2243814577244940267e+00,0.0,1.0,5.56393348524385378262e-01,1.5,1.5,0.0,0.0,2.0,0.275618542275506,0.275618542275506,0.0,-1.0,9,11,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(4,2,2,1.29924031076205448442e+00,1.29924031076205448442e+00,0.0,0.0,3.4214637684382767091e+00,1.79248125036057825987e+00,1.79248125036057781578e+00,-4.44089209850062616169e-16,0.0,2.58496250072115607565e+00,4.93240939598523775444e-01,4.93240939598523331355e-01,-4.44089209850062616169e-16,0.0,NULL,13,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(5,2,2,1.0350402793845223659e+00,1.03504027938452214385e+00,-2.22044604925031308084e-16,1.0,3.95928676331139206556e-01,1.5,1.5,0.0,1.0,1.0,4.64959720615477634098e-01,4.64959720615477856142e-01,2.22044604925031308084e-16,0.0,17,NULL,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(6,2,2,1.03892059503159339683e+00,1.03892059503159339683e+00,0.0,1.0,3.2192809488736229273e-01,1.79248125036057781578e+00,1.79248125036057781578e+00,0.0,0.0,2.58496250072115607565e+00,7.53560655328984418943e-01,7.53560655328984418943e-01,0.0,-1.0,21,23,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(7,2,2,7.94309554640566184424e-01,7.94309554640566073402e-01,-1.11022302462515654042e-16,1.0,2.5153876699596444677e-01,1.5,1.5,0.0,0.0,2.0,7.05690445359433815575e-01,7.05690445359433926597e-01,1.11022302462515654042e-16,-1.0,25,27,'2026-12-02 00:11:52.654193');
INSERT INTO "score" VALUES(8,2,2,7.19556365373903106252e-01,7.19556365373903217275e-01,1.11022302462515654042e-16,0.0,4.64385618977472436341e+00,1.79248125036057825987e+00,1.79248125036057781578e+00,-4.44089209850062616169e-16,0.0,2.58496250072115607565e+00,1.07292488498667504259e+00,1.0729248849866745985e+00,-4.44089209850062616169e-16,0.0,NULL,29,'2026-12-02 00:11:52.654193');
CREATE TABLE selection (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	config JSON NOT NULL, 
	report JSON, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "selection" VALUES(1,'sel','{"column": "diff_model"}','{}','2026-12-02 00:11:52.660381');
CREATE TABLE selectionitem (
	id INTEGER NOT NULL, 
	selection_id INTEGER NOT NULL, 
	scene_id INTEGER NOT NULL, 
	chosen_rationale_id INTEGER NOT NULL, 
	rejected_rationale_id INTEGER NOT NULL, 
	rank INTEGER NOT NULL, 
	rank_value FLOAT, 
	PRIMARY KEY (id), 
	UNIQUE (selection_id, scene_id), 
	FOREIGN KEY(selection_id) REFERENCES selection (id), 
	FOREIGN KEY(scene_id) REFERENCES scene (id), 
	FOREIGN KEY(chosen_rationale_id) REFERENCES rationale (id), 
	FOREIGN KEY(rejected_rationale_id) REFERENCES rationale (id)
);
INSERT INTO "selectionitem" VALUES(1,1,2,5,7,0,NULL);
INSERT INTO "selectionitem" VALUES(2,1,3,9,11,1,NULL);
INSERT INTO "selectionitem" VALUES(3,1,6,21,23,2,NULL);
INSERT INTO "selectionitem" VALUES(4,1,7,25,27,3,NULL);
CREATE TABLE user (
	id INTEGER NOT NULL, 
	dataset_id INTEGER NOT NULL, 
	external_id VARCHAR NOT NULL, 
	features JSON, 
	PRIMARY KEY (id), 
	UNIQUE (dataset_id, external_id), 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id)
);
INSERT INTO "user" VALUES(1,1,'u0','{"age": 20}');
INSERT INTO "user" VALUES(2,1,'u1','{"age": 21}');
INSERT INTO "user" VALUES(3,1,'u2','{"age": 22}');
CREATE UNIQUE INDEX ix_dataset_name ON dataset (name);
CREATE UNIQUE INDEX ix_endpoint_name ON endpoint (name);
CREATE UNIQUE INDEX ix_selection_name ON selection (name);
CREATE INDEX ix_user_dataset_id ON user (dataset_id);
CREATE INDEX ix_item_dataset_id ON item (dataset_id);
CREATE INDEX ix_run_kind ON run (kind);
CREATE INDEX ix_interaction_user_time ON interaction (user_id, timestamp);
CREATE INDEX ix_interaction_item ON interaction (item_id);
CREATE INDEX ix_interaction_dataset_id ON interaction (dataset_id);
CREATE INDEX ix_scene_dataset_len ON scene (dataset_id, choice_cnt);
CREATE INDEX ix_scene_user_id ON scene (user_id);
CREATE INDEX ix_scene_dataset_split ON scene (dataset_id, split);
CREATE INDEX ix_scene_item_id ON scene (item_id);
CREATE INDEX ix_llmcall_endpoint ON llmcall (endpoint);
CREATE INDEX ix_llmcall_item ON llmcall (item_key);
CREATE INDEX ix_llmcall_scene_id ON llmcall (scene_id);
CREATE INDEX ix_rationale_scene_id ON rationale (scene_id);
CREATE INDEX ix_review_status ON review (status);
CREATE INDEX ix_rationaleversion_rationale_id ON rationaleversion (rationale_id);
CREATE INDEX ix_prediction_scene_role ON prediction (scene_id, role);
CREATE INDEX ix_score_rejected_rationale_id ON score (rejected_rationale_id);
CREATE INDEX ix_score_diff_model ON score (diff_model);
CREATE INDEX ix_score_chosen_rationale_id ON score (chosen_rationale_id);
CREATE INDEX ix_selectionitem_chosen_rationale_id ON selectionitem (chosen_rationale_id);
CREATE INDEX ix_selectionitem_selection_id ON selectionitem (selection_id);
CREATE INDEX ix_selectionitem_rejected_rationale_id ON selectionitem (rejected_rationale_id);
CREATE INDEX ix_selectionitem_scene_id ON selectionitem (scene_id);
COMMIT;
