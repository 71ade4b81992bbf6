"""
Clustering text: tf-idf and K-means
===================================

A small generated corpus of three topics, vectorised by scikit-learn's
``TfidfVectorizer`` into a sparse CSR matrix, clustered by
``emclust.KMeans`` in a pipeline. The sparse kernels touch only the
nonzeros. The bars show each cluster's top terms.
"""

import emclust
import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline

rng = np.random.default_rng(0)
topics = [
    "orbit rocket launch planet moon satellite astronaut telescope comet".split(),
    "recipe oven flour butter garlic simmer bake pasta sauce onion".split(),
    "goal match striker league penalty coach referee season keeper".split(),
]
filler = "the a of and to in is it that for on with was as by".split()
docs, topic_of = [], []
for t, words in enumerate(topics):
    for _ in range(300):
        n = int(rng.integers(6, 15))
        doc = [*rng.choice(words, n), *rng.choice(filler, n)]
        docs.append(" ".join(rng.permutation(doc)))
        topic_of.append(t)

pipe = make_pipeline(
    TfidfVectorizer(stop_words="english"),
    emclust.KMeans(n_clusters=3, n_init=3, random_state=0),
)
labels = pipe.fit_predict(docs)
print(f"adjusted Rand index: {adjusted_rand_score(topic_of, labels):.3f}")

km, terms = pipe[-1], pipe[0].get_feature_names_out()
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for c, ax in enumerate(axes):
    top = np.argsort(km.cluster_centers_[c])[::-1][:5]
    ax.barh(terms[top][::-1], km.cluster_centers_[c][top][::-1])
    ax.set_title(f"cluster {c}")
fig.tight_layout()
plt.show()
