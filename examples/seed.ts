/**
 * The Keras program rnnkit grew from, line for line:
 *
 *   x_train = np.random.random((1000, 10, 1))
 *   y_train = np.random.randint(2, size=(1000, 1))
 *   model = Sequential()
 *   model.add(SimpleRNN(32, input_shape=(10, 1)))
 *   model.add(Dense(1, activation='sigmoid'))
 *   model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
 *   model.fit(x_train, y_train, epochs=10, batch_size=32)
 *   accuracy = model.evaluate(x_train, y_train)
 *   print("Accuracy:", accuracy)
 *
 * The labels are random, so accuracy stays near 0.5: this shows the API, not learning
 * (test/learning.test.ts trains on a learnable version).
 */
import { Rng, Sequential, layers, setSeed } from 'rnnkit';

setSeed(42);
const rng = new Rng(42);
const xTrain = Array.from({ length: 1000 }, () => Array.from({ length: 10 }, () => [rng.uniform()]));
const yTrain = Array.from({ length: 1000 }, () => [rng.int(2)]);

const model = new Sequential();
model.add(layers.simpleRNN({ units: 32, inputShape: [10, 1] }));
model.add(layers.dense({ units: 1, activation: 'sigmoid' }));
model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
await model.fit(xTrain, yTrain, { epochs: 10, batchSize: 32 });
const accuracy = model.evaluate(xTrain, yTrain);
console.log('Accuracy:', accuracy);
